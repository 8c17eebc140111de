// Verdicts in colour on a terminal, as kubectl-cnpg shows them: pass green, warn yellow, fail red. Off when
// the output is not a terminal or NO_COLOR is set (no-color.org), so logs and pipes get plain text.

export type Verdict = 'pass' | 'warn' | 'fail' | 'skip';

const CODES: Record<Verdict, string> = { pass: '32', warn: '33', fail: '31', skip: '2' };

export function paint(text: string, verdict: Verdict, colour: boolean): string {
  return colour ? `\x1b[${CODES[verdict]}m${text}\x1b[0m` : text;
}
