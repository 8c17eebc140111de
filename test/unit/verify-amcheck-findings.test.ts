// amcheck's findings without a server: a run its bounds cut short, or one that could not check heaps at all
// (PostgreSQL 13, no extension in recovery), says "partial" and warns; failures name the relation and file;
// a database's connection text is rewritten for the others.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientConfig } from '../../src/postgres/connect.js';
import {
  type AmcheckBounds,
  AmcheckBudget,
  DEFAULT_AMCHECK_BOUNDS,
  partialText,
} from '../../src/verify/amcheck-budget.js';
import { type AmcheckFacts, btreeDraft, heapDraft, summarize } from '../../src/verify/amcheck-findings.js';
import { newTally, runPass, type Target } from '../../src/verify/amcheck-pass.js';
import { withDatabase } from '../../src/verify/database-connection.js';

const BOUNDS: AmcheckBounds = DEFAULT_AMCHECK_BOUNDS;

const facts = (over: Partial<AmcheckFacts> = {}): AmcheckFacts => ({
  bounds: BOUNDS,
  databases: ['postgres'],
  unavailable: [],
  noHeap: null,
  databaseFailures: [],
  heap: { ...newTally(), found: 3, checked: 3, pages: 12, tables: 2, toast: 1, matviews: 0 },
  btree: { ...newTally(), found: 4, checked: 4, pages: 8 },
  ...over,
});

describe('amcheck findings', () => {
  it('a complete run passes, with the counts', () => {
    const f = facts();
    const heap = heapDraft(f);
    assert.equal(heap.status, 'pass');
    assert.equal(
      heap.finding,
      '3 relations verified with verify_heapam (2 tables, 1 TOAST, 0 materialized views; 12 pages)',
    );
    assert.equal(btreeDraft(f).status, 'pass');
    const s = summarize(f);
    assert.deepEqual(
      [s.databases, s.tables, s.toast, s.indexes, s.pages, s.failures, s.partial],
      [1, 2, 1, 4, 20, 0, null],
    );
  });

  it('the time budget cutting the check short is a warn saying partial, with what was checked', () => {
    const heap = { ...newTally(), found: 400, checked: 120, pages: 900, tables: 100, toast: 20, matviews: 0 };
    const f = facts({ heap: { ...heap, cut: 'time' } });
    const d = heapDraft(f);
    assert.equal(d.status, 'warn');
    assert.equal(
      d.finding,
      'partial: 120 of 400 relations checked in the 10m budget; no corruption found in those',
    );
    assert.match(d.hint, /--amcheck-budget/);
    assert.equal(summarize(f).partial, '120 of 400 relations checked in the 10m budget');
  });

  it('the count bound names its flag', () => {
    const text = partialText({ checked: 2, total: 14, noun: 'btree indexes', cut: 'count', bounds: BOUNDS });
    assert.equal(text, '2 of 14 btree indexes checked (at most 10000, --amcheck-max-indexes)');
  });

  it('PostgreSQL 13 (no verify_heapam): heaps skipped, partial, with a hint', () => {
    const f = facts({
      noHeap: {
        why: 'verify_heapam needs PostgreSQL 14 or later (amcheck 1.3); this server is PostgreSQL 13',
        hint: 'h',
      },
      heap: { ...newTally(), found: 50, tables: 0, toast: 0, matviews: 0 },
    });
    const d = heapDraft(f);
    assert.equal(d.status, 'warn');
    assert.match(d.finding, /^partial: heaps not checked: verify_heapam needs PostgreSQL 14/);
    assert.equal(btreeDraft(f).status, 'pass');
    assert.match(summarize(f).partial ?? '', /heaps not checked/);
  });

  it('no amcheck in a server in recovery: both checks warn partial, naming why', () => {
    const why = 'the server is in recovery and the amcheck extension is not installed';
    const f = facts({
      unavailable: [{ database: 'postgres', why, hint: 'promote it' }],
      heap: { ...newTally(), found: 50, tables: 0, toast: 0, matviews: 0 },
      btree: { ...newTally(), found: 9 },
    });
    for (const d of [heapDraft(f), btreeDraft(f)]) {
      assert.equal(d.status, 'warn');
      assert.equal(d.finding, `partial: not checked: ${why}`);
    }
    assert.equal(summarize(f).partial, `not checked: ${why}`);
    assert.equal(summarize(f).databases, 0);
  });

  it('failures fail, naming relation and file; a partial run with a failure still fails', () => {
    const heap = {
      ...facts().heap,
      failures: [
        'public.precious (base/5/16390): could not open file "base/5/16390": No such file or directory',
      ],
      cut: 'time' as const,
    };
    const d = heapDraft(facts({ heap }));
    assert.equal(d.status, 'fail');
    assert.match(
      d.finding,
      /^1 failure\(s\) in 3 relation\(s\) checked with verify_heapam: public\.precious \(base\/5\/16390\)/,
    );
    assert.match(d.finding, /partial: 3 of 3 relations checked in the 10m budget$/);
    assert.equal(summarize(facts({ heap })).failures, 1);
    const lost = heapDraft(facts({ databaseFailures: ['database app: cannot connect'] }));
    assert.equal(lost.status, 'fail');
    assert.match(lost.finding, /database app: cannot connect/);
  });
});

describe('amcheck pass', () => {
  const targets: Target[] = ['a', 'b', 'c'].map((n, i) => ({
    oid: String(i),
    name: `public.${n}`,
    path: `base/5/${i}`,
    pages: 2,
  }));

  it('records a relation whose file is missing as a failure and goes on', async () => {
    const tally = newTally();
    await runPass({
      targets,
      max: 10,
      budget: new AmcheckBudget(BOUNDS),
      tally,
      database: 'app',
      check: async (t) => {
        if (t.name === 'public.b')
          throw Object.assign(new Error(`could not open file "${t.path}"`), { code: '58P01' });
        return null;
      },
    });
    assert.equal(tally.checked, 3);
    assert.deepEqual(tally.failures, ['public.b in database app (base/5/1): could not open file "base/5/1"']);
    assert.equal(tally.cut, null);
  });

  it('stops at the count bound, and at a spent budget or a statement timeout, as cuts', async () => {
    const counted = newTally();
    await runPass({
      targets,
      max: 2,
      budget: new AmcheckBudget(BOUNDS),
      tally: counted,
      database: null,
      check: async () => null,
    });
    assert.deepEqual([counted.checked, counted.cut, counted.pages], [2, 'count', 4]);
    const spent = newTally();
    const budget = new AmcheckBudget({ ...BOUNDS, budgetMs: 1 }, Date.now() - 10);
    await runPass({ targets, max: 10, budget, tally: spent, database: null, check: async () => null });
    assert.deepEqual([spent.checked, spent.cut], [0, 'time']);
    const timedOut = newTally();
    await runPass({
      targets,
      max: 10,
      budget: new AmcheckBudget(BOUNDS),
      tally: timedOut,
      database: null,
      check: async () => {
        throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      },
    });
    assert.deepEqual([timedOut.checked, timedOut.cut, timedOut.failures.length], [0, 'time', 0]);
  });
});

describe('withDatabase', () => {
  it('changes the database of a URI or of key=value text', () => {
    assert.equal(
      withDatabase('postgresql://u:p@127.0.0.1:5432/postgres?sslmode=disable', 'my db'),
      'postgresql://u:p@127.0.0.1:5432/my%20db?sslmode=disable',
    );
    const kv = withDatabase('host=/run/pg user=postgres dbname=x', "o'hara");
    assert.equal(kv, "host=/run/pg user=postgres dbname=x dbname='o\\'hara'");
    assert.equal(clientConfig(kv, { application: 'pgdr_verify' }).database, "o'hara");
  });
});
