// Validates what `pgdr agent` reads: the top-level `schedule` and `drill.schedule` (cron) and the `agent:`
// section. A bad schedule is refused at load, with the field, rather than found at 06:00 by a silent agent.
import { CRON_HINT, nextFire, parseCron } from '../common/cron.js';
import type { AgentConfig, ListenAddress } from './agent-types.js';
import type { Problems } from './validate.js';
import { wholeNumber } from './whole-number.js';

type Raw = Record<string, unknown>;

const KEYS = [
  'listen',
  'stateFile',
  'retentionPolicyIntervalSeconds',
  'minimumRedundancy',
  'lockStaleSeconds',
  'incrementalSchedule',
];
const DEFAULT_LISTEN: ListenAddress = { host: '127.0.0.1', port: 9187 };
const DEFAULT_DRILL_SCHEDULE = '0 2 1 * *';

const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkSchedule(text: unknown, path: string, p: Problems): string | undefined {
  if (typeof text !== 'string' || text.trim() === '') {
    p.add(path, `must be a cron string: ${CRON_HINT}`);
    return undefined;
  }
  try {
    if (nextFire(parseCron(text), new Date()) === undefined) {
      p.add(path, `'${text}' never fires (no such date within five years): ${CRON_HINT}`);
      return undefined;
    }
  } catch (e) {
    p.add(path, `invalid cron: ${(e as Error).message} (${CRON_HINT})`);
    return undefined;
  }
  return text.trim();
}

export function buildAgent(raw: Raw, p: Problems): AgentConfig | undefined {
  const before = p.list.length;
  const schedule = raw.schedule === undefined ? undefined : checkSchedule(raw.schedule, 'schedule', p);
  // `drill:` holds only the agent's drill schedule: the drill command takes everything else as flags.
  let drillSchedule = DEFAULT_DRILL_SCHEDULE;
  if (raw.drill !== undefined && !isObject(raw.drill)) p.add('drill', 'must be a mapping (schedule)');
  else if (isObject(raw.drill)) {
    for (const k of Object.keys(raw.drill))
      if (k !== 'schedule') p.add(`drill.${k}`, 'unknown field (known: schedule)');
    if (raw.drill.schedule !== undefined)
      drillSchedule = checkSchedule(raw.drill.schedule, 'drill.schedule', p) ?? drillSchedule;
  }
  const a = raw.agent ?? {};
  if (!isObject(a)) {
    p.add('agent', `must be a mapping (${KEYS.join(', ')})`);
    return undefined;
  }
  for (const k of Object.keys(a))
    if (!KEYS.includes(k)) p.add(`agent.${k}`, `unknown field (known: ${KEYS.join(', ')})`);
  const listen = listenOf(a.listen, p);
  let stateFile: string | undefined;
  if (a.stateFile !== undefined) {
    if (typeof a.stateFile === 'string' && a.stateFile.startsWith('/')) stateFile = a.stateFile;
    else p.add('agent.stateFile', 'must be an absolute path, e.g. /var/lib/pgdr/agent-state.json');
  }
  const incrementalSchedule =
    a.incrementalSchedule === undefined
      ? undefined
      : checkSchedule(a.incrementalSchedule, 'agent.incrementalSchedule', p);
  const config: AgentConfig = {
    schedule,
    ...(incrementalSchedule !== undefined ? { incrementalSchedule } : {}),
    drillSchedule,
    listen,
    stateFile,
    retentionPolicyIntervalSeconds: wholeNumber(
      a,
      'retentionPolicyIntervalSeconds',
      'agent.retentionPolicyIntervalSeconds',
      p,
      1800,
      1,
      7 * 86_400,
    ),
    minimumRedundancy: wholeNumber(a, 'minimumRedundancy', 'agent.minimumRedundancy', p, 0, 0, 1000),
    lockStaleSeconds: wholeNumber(a, 'lockStaleSeconds', 'agent.lockStaleSeconds', p, 900, 5, 7 * 86_400),
  };
  return p.list.length > before ? undefined : config;
}

function listenOf(v: unknown, p: Problems): ListenAddress | undefined {
  if (v === undefined || v === null) return DEFAULT_LISTEN;
  if (v === false || v === 'off') return undefined;
  const m = typeof v === 'string' ? /^(?:\[([0-9a-fA-F:]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(v) : null;
  const port = m ? Number(m[3]) : -1;
  if (!m || port > 65_535) {
    p.add(
      'agent.listen',
      `must be HOST:PORT such as 127.0.0.1:9187 or [::1]:9187, or off (got ${JSON.stringify(v)})`,
    );
    return undefined;
  }
  return { host: (m[1] ?? m[2])!, port };
}
