// pgdr's retention decisions against barman 3.4's own code on hundreds of generated catalogs: statuses, the
// backups deleted, and every WAL file deleted after each of them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BackupInfo, parseBackupInfo } from '../../src/catalog/backup-info.js';
import { obsoleteIds, retentionReport } from '../../src/catalog/retention.js';
import { planDeletions } from '../../src/catalog/retention-wal.js';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { hashDir } from '../../src/catalog/wal-name.js';
import { parseRetentionPolicy } from '../../src/config/retention-policy.js';
import {
  barmanRetentionOracle,
  type OracleBackup,
  type OracleScenario,
} from '../helpers/barman-retention-oracle.js';

const NOW = Date.now();
const DAY = 86_400_000;

// mulberry32: a seeded generator, so a failure can be reproduced.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
const segName = (tli: number, seg: number) => `${hex8(tli)}00000000${hex8(seg)}`;

function scenario(r: () => number, mode: 'policy' | 'delete'): OracleScenario {
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const n = 1 + int(6);
  const wals: string[] = [];
  const backups: OracleBackup[] = [];
  let tli = 1;
  let seg = 1;
  let age = 0;
  const ages = Array.from({ length: n }, () => (age += 1 + int(12))).reverse();
  const fill = (to: number) => {
    for (; seg <= to; seg++) {
      if (r() < 0.9) wals.push(segName(tli, seg));
      if (r() < 0.1) wals.push(`${segName(tli, seg)}.partial`);
    }
  };
  for (let i = 0; i < n; i++) {
    if (i > 0 && r() < 0.2) {
      tli++;
      wals.push(`${hex8(tli)}.history`);
    }
    fill(seg + int(3));
    const begin = seg;
    const end = seg + int(3);
    wals.push(`${segName(tli, begin)}.00000028.backup`);
    fill(end);
    const status = pick(['DONE', 'DONE', 'DONE', 'DONE', 'FAILED', 'WAITING_FOR_WALS', 'STARTED']);
    backups.push({
      id: `202401${String(10 + i)}T060000`,
      status,
      beginWal: segName(tli, begin),
      endWal: segName(tli, end),
      timeline: tli,
      endTime: Math.floor((NOW - ages[i]! * DAY - DAY / 2) / 1000),
      keep: status === 'DONE' && r() < 0.3 ? pick(['full', 'standalone']) : null,
    });
  }
  fill(seg + int(4));
  if (mode === 'delete') {
    const candidates = backups.filter((b) => b.keep === null);
    if (candidates.length === 0) return scenario(r, mode);
    return { backups, wals, backupId: pick(candidates).id };
  }
  const text = pick([
    `REDUNDANCY ${1 + int(3)}`,
    `RECOVERY WINDOW OF ${int(40)} DAYS`,
    `${1 + int(4)}w`,
    '1m',
  ]);
  return { backups, wals, policy: parseRetentionPolicy(text, { source: 'flag' }).text };
}

function ours(s: OracleScenario) {
  const infos: BackupInfo[] = s.backups.map((b) => {
    const end = new Date(b.endTime * 1000).toISOString().replace('T', ' ').replace('Z', '+00:00');
    const text = `begin_wal=${b.beginWal}\nend_wal=${b.endWal}\nend_time=${end}\nstatus=${b.status}\ntimeline=${b.timeline}\n`;
    return { ...parseBackupInfo(text, b.id), keepAnnotation: b.keep };
  });
  const listed = s.wals.map((w) => {
    const dir = hashDir(w);
    return { key: `srv/wals/${dir ? `${dir}/` : ''}${w}.gz`, size: 1, lastModified: new Date(NOW) };
  });
  const wal = classifyWal('srv', listed).objects;
  const policy = s.policy ? parseRetentionPolicy(s.policy, { source: 'flag' }) : undefined;
  const report = policy ? retentionReport(infos, policy, { now: new Date(NOW) }) : new Map<string, string>();
  const ids = policy ? obsoleteIds(report as ReturnType<typeof retentionReport>) : [s.backupId!];
  const steps = planDeletions(infos, wal, ids, { skipWalCleanupIfStandalone: !s.policy });
  return {
    report: Object.fromEntries(report),
    deleted: steps.map((st) => ({ id: st.backup.backupId, wals: st.wal.objects.map((o) => o.name).sort() })),
  };
}

describe("retention against barman 3.4's own code (generated catalogs)", () => {
  for (const mode of ['policy', 'delete'] as const) {
    it(`${mode === 'policy' ? 'retention policies (-r)' : 'backup delete (-b)'}: same statuses, backups and WAL`, () => {
      const r = rng(mode === 'policy' ? 7 : 11);
      const scenarios = Array.from({ length: mode === 'policy' ? 300 : 150 }, () => scenario(r, mode));
      const theirs = barmanRetentionOracle(scenarios);
      let walDeleted = 0;
      for (const [i, s] of scenarios.entries()) {
        const mine = ours(s);
        assert.deepEqual(mine, theirs[i], `scenario ${i}: ${JSON.stringify(s)}`);
        walDeleted += mine.deleted.reduce((n, d) => n + d.wals.length, 0);
      }
      // The generator must exercise deletion, not only agreement on doing nothing.
      assert.ok(walDeleted > 100, `only ${walDeleted} WAL deletions generated`);
    });
  }
});
