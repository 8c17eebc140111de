// The oldest Node.js line pgdr runs on: package.json's engines says the same (test/unit/node-version.test.ts
// keeps them in step), and the test script runs the suites on it and on the newer lines. npm only warns about
// engines, so bin.ts checks this before loading the CLI: on an older Node a module could fail to load with an
// error that names neither Node nor a version.
export const MIN_NODE_MAJOR = 20;

/** The refusal for a Node.js older than MIN_NODE_MAJOR (`process.version`, e.g. v18.20.8); undefined when new enough. */
export function nodeTooOld(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return `pgdr needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${version}`;
}
