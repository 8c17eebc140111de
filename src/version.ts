// pgdr's version, kept in step with package.json by test/unit/version.test.ts; reading package.json at start-up
// costs a file read.
export const VERSION = '0.1.0';
