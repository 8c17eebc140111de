// Rewriting the current terminal line, shared by the progress bar and the demo's step line. With ANSI codes
// the line is erased (EL); without (NO_COLOR) it is overwritten with spaces, so no escape code is written.

/** What takes `drawn` visible characters of the current line off the screen, the cursor back at its start. */
export function clearLine(drawn: number, ansi: boolean): string {
  if (drawn <= 0) return '';
  return ansi ? '\r\x1b[2K' : `\r${' '.repeat(drawn)}\r`;
}
