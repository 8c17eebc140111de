// The progress renderers with an injected clock: the line shapes, rate and ETA, at most one line per task per
// interval (plus its first and last), JSON lines with the documented fields, the bar (colour and NO_COLOR),
// verbose notes, and how the CLI picks a renderer from the flags and the stream.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { parse } from '../../src/cli/args.js';
import type { CliContext } from '../../src/cli/main.js';
import { PROGRESS_FLAGS, progressReporter, verdictText } from '../../src/cli/progress-flags.js';
import { isPgdrError } from '../../src/errors.js';
import { colourVerdicts } from '../../src/progress/colour.js';
import { eta, rate } from '../../src/progress/format.js';
import { createReporter, type ProgressMode } from '../../src/progress/reporter.js';

const MiB = 1024 * 1024;

function harness(mode: ProgressMode, o: { intervalMs?: number; colour?: boolean; verbose?: boolean } = {}) {
  let text = '';
  let t = 0;
  const r = createReporter({
    mode,
    out: { write: (s: string) => (text += s) },
    intervalMs: o.intervalMs ?? 10_000,
    verbose: o.verbose ?? false,
    colour: o.colour ?? false,
    now: () => t,
  });
  return {
    r,
    at(ms: number) {
      t = ms;
    },
    get text() {
      return text;
    },
  };
}

describe('progress formatting', () => {
  it('rates and ETAs as a DBA reads them; unknown while nothing was measured', () => {
    assert.equal(rate(1.5 * MiB), '1.5 MiB/s');
    assert.equal(rate(512), '512 B/s');
    assert.equal(rate(12.345, 'WAL objects'), '12.3 WAL objects/s');
    assert.equal(rate(null), '? B/s');
    assert.equal(eta(null), 'ETA ?');
    assert.equal(eta(Number.POSITIVE_INFINITY), 'ETA ?');
    assert.equal(eta(0), 'ETA 0s');
    assert.equal(eta(0.4), 'ETA <1s', 'not 0s before the end');
    assert.equal(eta(65), 'ETA 1m 5s');
    assert.equal(eta(2 * 3600 + 5 * 60), 'ETA 2h 5m');
  });
});

describe('progress lines', () => {
  it('a timestamped line per task at most every interval, plus its first and its last', () => {
    const h = harness('lines', { intervalMs: 10_000 });
    const bytes = (done: number) =>
      h.r.emit({ type: 'bytes', task: 'download backup X', done, total: 10 * MiB });
    h.at(0);
    bytes(0);
    h.at(5_000);
    bytes(2 * MiB);
    h.at(10_000);
    bytes(5 * MiB);
    h.at(12_000);
    bytes(6 * MiB);
    h.at(20_000);
    bytes(10 * MiB);
    bytes(10 * MiB);
    assert.deepEqual(h.text.trim().split('\n'), [
      '1970-01-01T00:00:00.000Z download backup X: 0 B / 10.0 MiB (0%), ? B/s, ETA ?',
      '1970-01-01T00:00:10.000Z download backup X: 5.0 MiB / 10.0 MiB (50%), 512.0 KiB/s, ETA 10s',
      '1970-01-01T00:00:20.000Z download backup X: 10.0 MiB / 10.0 MiB (100%), 512.0 KiB/s, ETA 0s',
    ]);
  });

  it('tasks are throttled each on its own; stage notes always print, verbose ones only with -v', () => {
    const h = harness('lines', { intervalMs: 1000 });
    h.r.emit({ type: 'stage', message: 'downloading 2 tar(s)' });
    h.r.emit({ type: 'stage', message: 'extracted data.tar', verbose: true });
    h.r.emit({ type: 'bytes', task: 'a', done: 0, total: 100 });
    h.r.emit({ type: 'bytes', task: 'b', done: 0, total: 100 });
    h.at(500);
    h.r.emit({ type: 'bytes', task: 'a', done: 10, total: 100 });
    assert.equal(h.text.split('\n').filter(Boolean).length, 3);
    assert.match(h.text, /^1970-01-01T00:00:00.000Z downloading 2 tar\(s\)$/m);
    assert.doesNotMatch(h.text, /extracted/);
    const v = harness('lines', { verbose: true });
    v.r.emit({ type: 'stage', message: 'extracted data.tar', verbose: true });
    assert.match(v.text, /extracted data\.tar/);
  });

  it('replay: LSN against the target, from where the run found it, with segments left, rate and ETA', () => {
    const h = harness('lines', { intervalMs: 0 });
    h.r.emit({ type: 'lsn', task: 'replay', lsn: '0/1000000', target: '0/5000000', segmentsLeft: 4 });
    h.at(2_000);
    h.r.emit({ type: 'lsn', task: 'replay', lsn: '0/3000000', target: '0/5000000', segmentsLeft: 2 });
    const last = h.text.trim().split('\n').pop();
    assert.equal(
      last,
      '1970-01-01T00:00:02.000Z replay: LSN 0/3000000 of 0/5000000 (50%), 2 segment(s) left, 16.0 MiB/s, ETA 2s',
    );
  });

  it('items with failures', () => {
    const h = harness('lines', { intervalMs: 0 });
    h.r.emit({ type: 'items', task: 'wal verify', unit: 'WAL objects', done: 0, total: 40, failures: 0 });
    h.at(4_000);
    h.r.emit({ type: 'items', task: 'wal verify', unit: 'WAL objects', done: 10, total: 40, failures: 1 });
    assert.match(
      h.text,
      /Z wal verify: 10 \/ 40 WAL objects \(25%\), 1 failure\(s\), 2\.5 WAL objects\/s, ETA 12s\n$/,
    );
  });
});

describe('progress as JSON lines', () => {
  it('one object per line with the documented fields', () => {
    const h = harness('json', { intervalMs: 0 });
    h.r.emit({ type: 'stage', message: 'starting PostgreSQL' });
    h.r.emit({ type: 'bytes', task: 't', done: 0, total: 4 * MiB });
    h.at(1_000);
    h.r.emit({ type: 'bytes', task: 't', done: MiB, total: 4 * MiB });
    h.r.emit({ type: 'lsn', task: 'replay', lsn: '0/1000000', target: '0/2000000', segmentsLeft: 1 });
    const events = h.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(events[0], {
      time: '1970-01-01T00:00:00.000Z',
      event: 'stage',
      message: 'starting PostgreSQL',
    });
    assert.deepEqual(events[2], {
      time: '1970-01-01T00:00:01.000Z',
      event: 'bytes',
      task: 't',
      done: MiB,
      total: 4 * MiB,
      percent: 25,
      rate: MiB,
      eta_seconds: 3,
      finished: false,
    });
    assert.deepEqual(events[3], {
      time: '1970-01-01T00:00:01.000Z',
      event: 'lsn',
      task: 'replay',
      lsn: '0/1000000',
      target_lsn: '0/2000000',
      segments_left: 1,
      percent: 0,
      rate: null,
      eta_seconds: null,
      finished: false,
    });
  });
});

describe('progress bar', () => {
  it('redrawn in place at most every 100 ms, in colour; a stage note and a finished task keep their line', () => {
    const h = harness('bar', { colour: true });
    h.r.emit({ type: 'bytes', task: 't', done: 0, total: 100 });
    h.at(50);
    h.r.emit({ type: 'bytes', task: 't', done: 10, total: 100 });
    assert.equal(h.text.match(/\x1b\[2K/g)?.length ?? 0, 0, 'not redrawn within 100 ms');
    h.at(150);
    h.r.emit({ type: 'bytes', task: 't', done: 50, total: 100 });
    assert.match(h.text, /\r\x1b\[2K\[\x1b\[32m#{10}\x1b\[0m\.{10}\] t: 50 B \/ 100 B \(50%\)/);
    h.r.emit({ type: 'stage', message: 'syncing' });
    assert.match(h.text, /\r\x1b\[2Ksyncing\n\[/, 'the note on its own line, the bar drawn again under it');
    h.at(300);
    h.r.emit({ type: 'bytes', task: 't', done: 999, total: 1000 });
    assert.match(h.text, /t: 999 B \/ 1000 B \(99%\)/, '100% only once done');
    h.r.emit({ type: 'bytes', task: 't', done: 100, total: 100 });
    assert.match(h.text, /\r\x1b\[2Kt: 100 B \/ 100 B \(100%\), .*ETA 0s\n$/);
    h.r.close();
    assert.match(h.text, /\n$/, 'nothing left to clear');
  });

  it('tasks side by side: the bar follows one while it moves, the other once the first is still', () => {
    const h = harness('bar');
    for (let i = 0; i < 10; i++) {
      h.at(i * 200);
      h.r.emit({ type: 'bytes', task: 'pgdata', done: i, total: 100 });
      h.r.emit({ type: 'bytes', task: 'tablespace', done: i, total: 100 });
    }
    assert.doesNotMatch(h.text, /\] tablespace:/);
    h.at(3_000);
    h.r.emit({ type: 'bytes', task: 'tablespace', done: 20, total: 100 });
    assert.match(h.text, /\] tablespace: 20 B/);
  });

  it('NO_COLOR: no escape code at all, the line cleared with spaces', () => {
    const h = harness('bar', { colour: false });
    h.r.emit({ type: 'bytes', task: 't', done: 0, total: 100 });
    h.at(200);
    h.r.emit({ type: 'bytes', task: 't', done: 50, total: 100 });
    h.r.close();
    assert.doesNotMatch(h.text, /\x1b/);
    assert.match(h.text, /\r {20,}\r\[#{10}\.{10}\] t: 50 B/);
    assert.match(h.text, /\r {20,}\r$/, 'close() clears the bar');
  });

  it('quiet: nothing', () => {
    const h = harness('quiet');
    h.r.emit({ type: 'stage', message: 'x' });
    h.r.emit({ type: 'bytes', task: 't', done: 1, total: 2 });
    assert.equal(h.text, '');
  });
});

describe('the CLI picks the renderer', () => {
  const ctx = (o: { tty?: boolean; env?: NodeJS.ProcessEnv; stdoutTty?: boolean }) => {
    let err = '';
    const stderr = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          err += String(chunk);
          done();
        },
      }),
      { isTTY: o.tty ?? false },
    );
    const c: CliContext = {
      stdout: new Writable({ write: (_c, _e, d) => d() }),
      stderr,
      isTTY: o.stdoutTty ?? false,
      env: o.env ?? {},
      cwd: '/',
      signal: new AbortController().signal,
    };
    return { c, err: () => err };
  };
  const run = (argv: string[], o: Parameters<typeof ctx>[0]) => {
    const x = ctx(o);
    const r = progressReporter(parse(argv, PROGRESS_FLAGS, 'restore'), x.c, 'restore');
    r.emit({ type: 'bytes', task: 't', done: 1, total: 2 });
    r.close();
    return x.err();
  };

  it('a bar when stderr is a terminal, even with stdout redirected; lines when stderr is not', () => {
    assert.match(run([], { tty: true, stdoutTty: false }), /\[(\x1b\[32m)?#+(\x1b\[0m)?\.+\] t: /);
    assert.match(run([], { tty: false, stdoutTty: true }), /^\d{4}-.*Z t: 1 B \/ 2 B/);
    assert.match(
      run([], { tty: true, env: { TERM: 'dumb' } }),
      /^\d{4}-.*Z t: /,
      'a dumb terminal gets lines',
    );
  });

  it('--log-format json, -q, NO_COLOR', () => {
    assert.equal(JSON.parse(run(['--log-format', 'json'], { tty: true })).event, 'bytes');
    assert.equal(run(['-q'], { tty: true }), '');
    assert.equal(run(['--quiet'], {}), '');
    assert.doesNotMatch(run([], { tty: true, env: { NO_COLOR: '1' } }), /\x1b/);
    assert.match(run([], { tty: true, env: { NO_COLOR: '' } }), /\x1b/, 'an empty NO_COLOR does not count');
  });

  it('refuses a bad interval and -q with -v', () => {
    for (const argv of [
      ['--progress-interval', '10'],
      ['-q', '-v'],
      ['--log-format', 'xml'],
    ]) {
      assert.throws(
        () => run(argv, {}),
        (e) => isPgdrError(e, 'USAGE'),
      );
    }
  });

  it('verdicts in colour on a terminal only, never with NO_COLOR', () => {
    const text = 'Result: PASS\nwal: FAIL\nstorage: WARN';
    assert.equal(colourVerdicts('PASS'), '\x1b[32mPASS\x1b[0m');
    assert.match(verdictText(ctx({ stdoutTty: true }).c, text), /\x1b\[31mFAIL/);
    assert.equal(verdictText(ctx({ stdoutTty: false }).c, text), text);
    assert.equal(verdictText(ctx({ stdoutTty: true, env: { NO_COLOR: 'x' } }).c, text), text);
    assert.equal(colourVerdicts('passed, failed, OKAY'), 'passed, failed, OKAY', 'only the verdict words');
  });
});

describe('progress heartbeat', () => {
  function beating(mode: ProgressMode) {
    let text = '';
    let t = 0;
    let pending: { fn: () => void; at: number } | undefined;
    const r = createReporter({
      mode,
      out: { write: (s: string) => (text += s) },
      intervalMs: 5_000,
      verbose: false,
      colour: false,
      now: () => t,
      schedule: (fn, ms) => {
        const timer = { fn, at: t + ms };
        pending = timer;
        return () => {
          if (pending === timer) pending = undefined;
        };
      },
    });
    return {
      r,
      /** Moves the clock to ms, firing the timer when it is due. */
      at(ms: number) {
        while (pending !== undefined && pending.at <= ms) {
          const p = pending;
          pending = undefined;
          t = p.at;
          p.fn();
        }
        t = ms;
      },
      get pending() {
        return pending;
      },
      get lines() {
        return text.split('\n').filter(Boolean);
      },
    };
  }

  it('a stage with no events of its own still prints a line every interval, until the next report', () => {
    const h = beating('lines');
    h.r.emit({ type: 'stage', message: 'syncing the restored files to disk' });
    h.at(12_000);
    h.r.emit({ type: 'stage', message: 'starting PostgreSQL 17' });
    assert.deepEqual(h.lines, [
      '1970-01-01T00:00:00.000Z syncing the restored files to disk',
      '1970-01-01T00:00:05.000Z still working, 5s since: syncing the restored files to disk',
      '1970-01-01T00:00:10.000Z still working, 10s since: syncing the restored files to disk',
      '1970-01-01T00:00:12.000Z starting PostgreSQL 17',
    ]);
    h.r.close();
    assert.equal(h.pending, undefined, 'close stops the timer');
  });

  it('no heartbeat while a task keeps reporting, even between its throttled lines', () => {
    const h = beating('lines');
    h.r.emit({ type: 'stage', message: 'downloading 1 tar(s)' });
    for (let ms = 0; ms <= 12_000; ms += 1_000) {
      h.at(ms);
      h.r.emit({ type: 'bytes', task: 'download backup X', done: ms, total: 100_000 });
    }
    assert.equal(h.lines.filter((l) => l.includes('still working')).length, 0, h.lines.join('\n'));
    h.at(20_000);
    assert.equal(h.lines.at(-1), '1970-01-01T00:00:17.000Z still working, 17s since: downloading 1 tar(s)');
  });

  it('JSON lines say still with the elapsed seconds', () => {
    const h = beating('json');
    h.r.emit({ type: 'stage', message: 'waiting for the end-of-recovery checkpoint' });
    h.at(5_000);
    assert.deepEqual(JSON.parse(h.lines[1] ?? ''), {
      time: '1970-01-01T00:00:05.000Z',
      event: 'still',
      message: 'waiting for the end-of-recovery checkpoint',
      elapsed_seconds: 5,
    });
  });
});
