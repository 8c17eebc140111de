// Verdicts in colour on a terminal, as kubectl-cnpg shows them: pass green, warn yellow, fail red. The words
// are coloured in the finished text, after tables are padded, so columns stay aligned. Off when stdout is not
// a terminal or NO_COLOR is set (no-color.org): logs and pipes get plain text.

const GREEN = '32';
const YELLOW = '33';
const RED = '31';
const DIM = '2';

const WORDS: ReadonlyArray<[RegExp, string]> = [
  [/\b(PASS|OK|HEALTHY)\b/g, GREEN],
  [/\b(WARN|WARNING|LAGGING|DELAYED)\b/g, YELLOW],
  [/\b(FAIL|FAILED|STUCK|STOPPED)\b/g, RED],
  [/\b(SKIP)\b/g, DIM],
];

/** The verdict words of a report (PASS, WARN, FAIL, ...: upper case only) in their colours. */
export function colourVerdicts(text: string): string {
  let out = text;
  for (const [re, code] of WORDS) out = out.replace(re, `\x1b[${code}m$1\x1b[0m`);
  return out;
}
