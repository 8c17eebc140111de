// bench/matrix's table and goals, on fixed figures: the ratio column, rows a tool cannot fill, and each goal's
// pass, miss (with by how much and what bounded it) and "not available" when pgdr lacks the feature.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Cell,
  evaluateGoals,
  formatTable,
  type MatrixPath,
  type MatrixRow,
  type Tool,
} from '../../bench/matrix-table.js';

const MB = 1e6;
const ok = (path: MatrixPath, tool: Tool, c: Partial<Cell>): MatrixRow => ({
  path,
  tool,
  outcome: { status: 'ok', cell: { seconds: 1, peakRssMB: 100, basisBytes: 100 * MB, ...c } },
});

const rows: MatrixRow[] = [
  ok('WAL archive', 'pgdr', { seconds: 2 }),
  ok('WAL archive', 'pgBackRest', { seconds: 4 }),
  ok('WAL archive', 'barman-cloud', { seconds: 40 }),
  ok('full backup', 'pgdr', { seconds: 12, bytes: 50 * MB, machineBusy: 0.97 }),
  ok('full backup', 'pgBackRest', { seconds: 10 }),
  ok('incremental backup', 'pgdr', { seconds: 1, bytes: 45 * MB }),
  ok('full backup (PostgreSQL 17)', 'pgdr', { seconds: 12, bytes: 50 * MB }),
  ok('incremental backup (block level, PostgreSQL 17)', 'pgdr', { seconds: 1, bytes: 4 * MB }),
  { path: 'incremental backup', tool: 'barman-cloud', outcome: { status: 'n/a', why: 'no incremental' } },
  ok('full restore (files only)', 'pgdr', { seconds: 10, machineBusy: 0.4 }),
  ok('full restore (files only)', 'pgBackRest', { seconds: 10 }),
  { path: 'delta restore', tool: 'pgdr', outcome: { status: 'not available', why: 'no --delta' } },
  ok('PITR (end to end)', 'pgdr', { seconds: 3, peakRssMB: 320 }),
];

describe('bench/matrix table', () => {
  it('prints pgdr/this time ratios, MB/s, MB moved, and why a row has no figure', () => {
    const t = formatTable(rows).split('\n');
    const line = (path: string, tool: string) => t.find((l) => l.startsWith(`${path.padEnd(47)} ${tool}`))!;
    assert.match(line('WAL archive', 'pgBackRest'), /4\.00\s+25\s+100\s+-\s+0\.50x$/);
    assert.match(line('WAL archive', 'barman-cloud'), /0\.05x$/);
    assert.match(line('full backup', 'pgdr'), /12\.00\s+8\s+100\s+50\.0\s*$/);
    const block = 'incremental backup (block level, PostgreSQL 17)';
    assert.match(line(block, 'pgdr'), /1\.00\s+100\s+100\s+4\.0\s*$/);
    assert.match(line('incremental backup', 'barman-cloud'), /n\/a: no incremental$/);
    assert.match(line('delta restore', 'pgdr'), /not available: no --delta$/);
  });
});

describe('bench/matrix goals', () => {
  const goals = evaluateGoals(rows);
  const goal = (start: string) => goals.find((g) => g.goal.startsWith(start))!;

  it('passes WAL archive when pgdr takes less time than pgBackRest', () => {
    assert.equal(goal('WAL archive').status, 'pass');
    assert.match(goal('WAL archive').detail, /pgdr 50\.0 MB\/s vs pgBackRest 25\.0 MB\/s/);
  });

  it('says by how much a goal is missed and what bounded it', () => {
    assert.equal(goal('full backup').status, 'miss');
    assert.match(goal('full backup').detail, /20% longer; bound: CPU \(97%/);
  });

  it('passes a tie (at most pgBackRest time) and judges the block-level incremental against its full', () => {
    assert.equal(goal('full restore').status, 'pass');
    assert.equal(goal('incremental').status, 'pass');
    assert.equal(
      goal('incremental').detail,
      'block level on PostgreSQL 17: 8.0% (4.0 of 50.0 MB); file level on PostgreSQL 15: 90.0%',
    );
  });

  it('says how many pages the change modified, as the WAL summaries count them', () => {
    const changed = {
      blocks: 650,
      total: 10_000,
      relations: [
        { name: 'pgbench_accounts_pkey', blocks: 400 },
        { name: 'pgbench_accounts', blocks: 240 },
        { name: 'pg_class', blocks: 8 },
        { name: 'other relations', blocks: 2 },
      ],
    };
    const inc = evaluateGoals(rows, changed).find((x) => x.goal.startsWith('incremental'))!;
    assert.equal(
      inc.detail,
      'block level on PostgreSQL 17: 8.0% (4.0 of 50.0 MB); file level on PostgreSQL 15: 90.0%; the change modified 6.5% of the pages (650 of 10000 blocks, per the WAL summaries: pgbench_accounts_pkey 400, pgbench_accounts 240, pg_class 8)',
    );
  });

  it('reports the incremental goal not available without the PostgreSQL 17 rows, file level said', () => {
    const g = evaluateGoals(rows.filter((r) => !r.path.endsWith('PostgreSQL 17)')));
    const inc = g.find((x) => x.goal.startsWith('incremental'))!;
    assert.equal(inc.status, 'not available');
    assert.equal(inc.detail, 'no figure; file level on PostgreSQL 15: 90.0%');
  });

  it('reports a goal pgdr cannot be measured on as not available, not as a miss', () => {
    assert.equal(goal('delta restore').status, 'not available');
    assert.match(goal('delta restore').detail, /no --delta/);
  });

  it('misses peak RSS naming each path at or over 300 MB', () => {
    assert.equal(goal('pgdr peak RSS').status, 'miss');
    assert.equal(goal('pgdr peak RSS').detail, 'PITR (end to end): 320 MB');
  });

  it('misses the incremental goal at 10% or more, and delta below 5x', () => {
    const more = [
      ...rows.filter((r) => !r.path.startsWith('incremental backup (block') && r.path !== 'delta restore'),
      ok('incremental backup (block level, PostgreSQL 17)', 'pgdr', { bytes: 6 * MB }),
      ok('delta restore', 'pgdr', { seconds: 2.5, machineBusy: 0.3 }),
    ];
    const g = evaluateGoals(more);
    const inc = g.find((x) => x.goal.startsWith('incremental'))!;
    assert.equal(inc.status, 'miss');
    assert.match(inc.detail, /12\.0% .*2\.0 points over/);
    const delta = g.find((x) => x.goal.startsWith('delta'))!;
    assert.equal(delta.status, 'miss');
    assert.match(delta.detail, /^4\.0x .*needs 2\.00 s or less; bound: disk or store waits \(30%/);
  });
});
