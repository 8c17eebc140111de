// The version lives in src/version.ts so that code outside the CLI (the image the manifests name) can read it.
export { VERSION } from '../version.js';
