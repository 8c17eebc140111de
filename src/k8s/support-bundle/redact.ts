// What keeps credentials out of a support bundle, which is sent to other people: objects lose Secret data,
// env values and fields whose names say credential, and inline values where a Secret reference belongs;
// every file's text (logs included) loses AWS access keys, passwords in connection strings, bearer tokens
// and `password=…`-style pairs. References (a Secret's name and key) are kept: they are what support needs.

export const REDACTED = '<redacted>';

type Obj = Record<string, unknown>;

/** Env vars whose value is a credential (AWS_SECRET_ACCESS_KEY, PGPASSWORD, GITHUB_TOKEN). */
const CREDENTIAL_ENV = /password|secret|token|key/i;
/** Fields whose string value is a credential; `credentialsSecret: NAME` and the like name a Secret instead. */
const CREDENTIAL_FIELD =
  /password|passwd|token|(?:secret|access|api|private)[_-]?(?:access)?[_-]?key|^secret$/i;
/** Fields of a SecretKeySelector/LocalObjectReference: names of things, not their contents. */
const REFERENCE_FIELDS = new Set(['name', 'key', 'optional']);
/** Annotations that copy a whole object (inline credentials included) as text. */
const COPYING_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

export function redactObject(o: unknown): unknown {
  if (!isObj(o)) return o;
  const copy = walk(o, false) as Obj;
  if (copy.kind === 'Secret') {
    for (const f of ['data', 'stringData'])
      if (isObj(copy[f])) copy[f] = Object.fromEntries(Object.keys(copy[f] as Obj).map((k) => [k, REDACTED]));
  }
  const meta = copy.metadata;
  if (isObj(meta)) {
    delete meta.managedFields;
    const ann = meta.annotations;
    if (isObj(ann)) for (const a of COPYING_ANNOTATIONS) if (a in ann) ann[a] = REDACTED;
  }
  return copy;
}

function walk(v: unknown, inCredentials: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => walk(x, inCredentials));
  if (!isObj(v)) return typeof v === 'string' ? redactText(v) : v;
  const out: Obj = {};
  // An env var ({name, value}): the name says whether the value is a credential.
  const envCredential = typeof v.name === 'string' && CREDENTIAL_ENV.test(v.name) && 'value' in v;
  for (const [k, x] of Object.entries(v)) {
    const credField = inCredentials || /credentials?$/i.test(k);
    if (envCredential && k === 'value') out[k] = REDACTED;
    else if (typeof x === 'string' && !REFERENCE_FIELDS.has(k) && (inCredentials || CREDENTIAL_FIELD.test(k)))
      out[k] = REDACTED;
    else out[k] = walk(x, credField && isObj(x) ? true : inCredentials);
  }
  return out;
}

type Replacer = (match: string, ...groups: string[]) => string;

const TEXT_RULES: ReadonlyArray<readonly [RegExp, string | Replacer]> = [
  // AWS access key ids (long-term and temporary).
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  // scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:@/\s"']+:)[^@\s"']+@/gi, `$1${REDACTED}@`],
  // The signature of an Azure SAS URL.
  [/([?&;]sig=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  // password=…, "secretAccessKey": "…", PGPASSWORD: …, Azure's AccountKey=… (not an object
  // or list that follows on its own line)
  [
    /(["']?)(\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|account[_-]?key)[A-Za-z0-9_.-]*)\1([ \t]*[=:][ \t]*)(?![{[\s])("[^"]*"|'[^']*'|[^\s,;&}"']+)/gi,
    // A quoted value keeps its quotes, so JSON stays JSON.
    (_m, q, name, sep, value) => {
      const quote = value?.[0] === '"' || value?.[0] === "'" ? value[0] : '';
      return `${q}${name}${q}${sep}${quote}${REDACTED}${quote}`;
    },
  ],
];

export function redactText(text: string): string {
  let out = text;
  for (const [re, to] of TEXT_RULES) out = typeof to === 'string' ? out.replace(re, to) : out.replace(re, to);
  return out;
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
