// What a drill report read back from the bucket must look like before `drill history`, `pgdr serve` and
// /metrics use it: the fields they read, with their types. Anything else is an invalid report, shown as such
// with its object key and never allowed to break the listing (one bad object must not hide every other drill).
// Stage names are any non-empty string: a report of a newer pgdr with a stage of its own is still a report.

type Raw = Record<string, unknown>;

const isObj = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const isTime = (v: unknown): boolean => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isMs = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isName = (v: unknown): boolean => typeof v === 'string' && v !== '';
const orNull = (ok: (v: unknown) => boolean) => (v: unknown) => v === null || ok(v);

const FIELDS: ReadonlyArray<[string, (v: unknown) => boolean, string]> = [
  ['id', isName, 'a non-empty string'],
  ['result', (v) => v === 'pass' || v === 'fail', "'pass' or 'fail'"],
  [
    'scenario',
    (v) => v === undefined || v === 'restore' || v === 'replica' || v === 'kubernetes',
    "'restore', 'replica' or 'kubernetes'",
  ],
  ['backupId', orNull((v) => typeof v === 'string'), 'a string or null'],
  ['rtoMs', orNull(isMs), 'a number of milliseconds or null'],
  ['rpoMs', orNull(isMs), 'a number of milliseconds or null'],
  ['failedStage', orNull(isName), 'a stage name or null'],
  ['startedAt', isTime, 'an ISO time'],
  ['finishedAt', isTime, 'an ISO time'],
];

function stageOk(s: unknown): boolean {
  return (
    isObj(s) &&
    isName(s.name) &&
    (s.status === 'pass' || s.status === 'fail' || s.status === 'skip') &&
    isMs(s.durationMs) &&
    (s.detail === undefined || typeof s.detail === 'string')
  );
}

/** Why `v` is not a drill report pgdr can show, or undefined when it is one. */
export function drillReportProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not a JSON object';
  for (const [key, ok, want] of FIELDS) if (!ok(v[key])) return `${key} must be ${want}`;
  const t = v.target;
  if (!isObj(t) || typeof t.requested !== 'string' || !orNull(isTime)(t.time ?? null))
    return 'target must be {requested: string, time: an ISO time or null}';
  if (!Array.isArray(v.stages)) return 'stages must be a list';
  const bad = v.stages.findIndex((s) => !stageOk(s));
  if (bad >= 0) return `stages[${bad}] must be {name, status: pass|fail|skip, durationMs: number, detail}`;
  return undefined;
}
