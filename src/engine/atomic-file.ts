// The engine's WAL code imports the helper from here; it lives in src/common so storage and agent share it.
export { syncDir, writeFileAtomic } from '../common/atomic-file.js';
