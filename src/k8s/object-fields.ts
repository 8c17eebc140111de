// Reading the fields of an object the Kubernetes API returned: every field may be missing or of another type
// (another CloudNativePG version, a hand-written resource), and a missing one reads as empty, never throws.

export type Obj = Record<string, unknown>;

/** `v` when it is an object (not an array), else an empty one. */
export const obj = (v: unknown): Obj =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};

/** `v` when it is a non-empty string. */
export const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
