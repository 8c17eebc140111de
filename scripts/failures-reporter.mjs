// A node:test reporter that writes one line per failed test (file, name, first line of the error), so that the
// summary at the end of a long run can name what failed without scrolling back through the spec output.
import { relative } from 'node:path';

function headLines(error) {
  const e = error?.cause ?? error;
  const text = e instanceof Error ? e.message : String(e);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 4)
    .join(' / ');
}

export default async function* failures(source) {
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const d = event.data;
    // A suite fails when a test in it fails; the test's own line says more.
    if (d.details?.type === 'suite' && d.details?.error?.failureType === 'subtestsFailed') continue;
    const file = d.file ? relative(process.cwd(), d.file) : '?';
    yield `${file}: ${d.name}: ${headLines(d.details?.error).slice(0, 300)}\n`;
  }
}
