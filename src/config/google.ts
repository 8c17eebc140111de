// objectStore.googleCredentials (gs:// destinations), as CloudNativePG's ObjectStore has it: a service-account
// JSON key (applicationCredentials) or the GKE metadata server (gkeEnvironment: true). Without either,
// GOOGLE_APPLICATION_CREDENTIALS names the key file, as Google's libraries read it. The key is parsed here, once;
// messages name where it came from, never what it holds.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readSecretField } from './secrets.js';
import type { Problems } from './validate.js';

export interface ServiceAccountKey {
  readonly clientEmail: string;
  /** PEM (PKCS#8), as the key file holds it. */
  readonly privateKey: string;
  readonly privateKeyId?: string | undefined;
  /** Where the signed assertion is exchanged for an access token (the key's token_uri). */
  readonly tokenUri: string;
}

export type GoogleCredentials =
  | { readonly kind: 'service-account'; readonly key: ServiceAccountKey; readonly source: string }
  /** Access tokens from the metadata server of the node (GKE workload identity, GCE). */
  | { readonly kind: 'metadata'; readonly host: string; readonly source: string }
  /** STORAGE_EMULATOR_HOST with no credentials: no Authorization header, as Google's libraries do. */
  | { readonly kind: 'anonymous'; readonly source: string };

export interface GoogleConfig {
  readonly credentials: GoogleCredentials;
  /** http(s) URL from STORAGE_EMULATOR_HOST; objectStore.endpointURL comes first. */
  readonly emulatorEndpoint?: string | undefined;
}

const DEFAULT_METADATA_HOST = 'metadata.google.internal';
const PATH = 'objectStore.googleCredentials';
const MAX_KEY_BYTES = 64 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** STORAGE_EMULATOR_HOST holds `host:port` or a URL, as Google's libraries accept it. */
function emulatorEndpoint(v: string | undefined): string | undefined {
  if (!v) return undefined;
  return /^https?:\/\//.test(v) ? v.replace(/\/+$/, '') : `http://${v.replace(/\/+$/, '')}`;
}

export function buildGoogle(raw: unknown, env: NodeJS.ProcessEnv, p: Problems): GoogleConfig | undefined {
  const emulator = emulatorEndpoint(env.STORAGE_EMULATOR_HOST);
  const credentials = googleCredentials(raw, env, emulator !== undefined, p);
  return credentials && { credentials, emulatorEndpoint: emulator };
}

function googleCredentials(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  emulator: boolean,
  p: Problems,
): GoogleCredentials | undefined {
  let app: unknown;
  let gke = false;
  if (raw !== undefined && raw !== null) {
    if (!isObject(raw)) {
      p.add(
        PATH,
        'must be a mapping: applicationCredentials ({file: PATH} or {env: NAME}) or gkeEnvironment: true',
      );
      return undefined;
    }
    for (const k of Object.keys(raw)) {
      if (k !== 'applicationCredentials' && k !== 'gkeEnvironment')
        p.add(`${PATH}.${k}`, 'unknown field (known: applicationCredentials, gkeEnvironment)');
    }
    if (raw.gkeEnvironment !== undefined && typeof raw.gkeEnvironment !== 'boolean')
      p.add(`${PATH}.gkeEnvironment`, 'must be true or false');
    gke = raw.gkeEnvironment === true;
    app = raw.applicationCredentials ?? undefined;
  }
  if (app !== undefined && gke) {
    p.add(PATH, 'set either applicationCredentials or gkeEnvironment: true, not both');
    return undefined;
  }
  if (gke) {
    const host = env.GCE_METADATA_HOST || DEFAULT_METADATA_HOST;
    const via = env.GCE_METADATA_HOST ? ` ${host} (GCE_METADATA_HOST)` : '';
    return { kind: 'metadata', host, source: `the metadata server${via} (gkeEnvironment)` };
  }
  if (app !== undefined) return fromReference(app, env, p);
  const file = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (file) {
    const path = 'GOOGLE_APPLICATION_CREDENTIALS';
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      p.add(path, `cannot read the key file ${file} (${(e as NodeJS.ErrnoException).code})`);
      return undefined;
    }
    return serviceAccount(text, path, `the service-account key ${file} (GOOGLE_APPLICATION_CREDENTIALS)`, p);
  }
  if (emulator) return { kind: 'anonymous', source: 'none: the emulator of STORAGE_EMULATOR_HOST' };
  p.add(
    PATH,
    'is required for gs://: applicationCredentials: {file: /path/to/key.json}, gkeEnvironment: true, or GOOGLE_APPLICATION_CREDENTIALS',
  );
  return undefined;
}

function fromReference(v: unknown, env: NodeJS.ProcessEnv, p: Problems): GoogleCredentials | undefined {
  const path = `${PATH}.applicationCredentials`;
  const r = readSecretField(
    v,
    {
      path,
      itself: 'the key itself',
      forms: '{file: /path/to/key.json} or {env: NAME}',
      kubernetes: (k) =>
        `a Kubernetes Secret ({name: ${k.name}, key: ${k.key}}) cannot be read here: mount it as a file (a Secret volume) and use {file: /mounted/path/${k.key}}, or set GOOGLE_APPLICATION_CREDENTIALS to that file`,
    },
    env,
    p,
  );
  if (!r) return undefined;
  const where = 'file' in r.ref ? `{file: ${r.ref.file}}` : `{env: ${r.ref.env}}`;
  return serviceAccount(r.value, path, `the service-account key ${where} (applicationCredentials)`, p);
}

/** Parses the key; errors say which field is wrong, never a value. */
function serviceAccount(
  text: string,
  path: string,
  source: string,
  p: Problems,
): GoogleCredentials | undefined {
  if (text.length > MAX_KEY_BYTES) {
    p.add(path, `is not a service-account key: larger than ${MAX_KEY_BYTES / 1024} KiB`);
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    p.add(path, 'is not a service-account key: not JSON (download a JSON key of the service account)');
    return undefined;
  }
  if (!isObject(doc)) {
    p.add(path, 'is not a service-account key: not a JSON object');
    return undefined;
  }
  if (doc.type !== 'service_account') {
    const type = typeof doc.type === 'string' ? doc.type : 'none';
    p.add(
      path,
      `holds credentials of type ${JSON.stringify(type).slice(0, 40)}: pgdr takes a service-account key (type service_account) or gkeEnvironment: true`,
    );
    return undefined;
  }
  const field = (k: string): string | undefined =>
    typeof doc[k] === 'string' && doc[k] ? doc[k] : undefined;
  const clientEmail = field('client_email');
  const privateKey = field('private_key');
  const tokenUri = field('token_uri') ?? 'https://oauth2.googleapis.com/token';
  const missing = [!clientEmail && 'client_email', !privateKey && 'private_key'].filter(Boolean);
  if (missing.length > 0) {
    p.add(path, `is not a usable service-account key: ${missing.join(' and ')} missing`);
    return undefined;
  }
  try {
    createPrivateKey(privateKey as string);
  } catch {
    p.add(path, 'is not a usable service-account key: private_key is not a PEM private key');
    return undefined;
  }
  const bad = tokenUriProblem(tokenUri);
  if (bad) {
    p.add(path, `is not a usable service-account key: token_uri ${bad}`);
    return undefined;
  }
  const key = {
    clientEmail: clientEmail as string,
    privateKey: privateKey as string,
    privateKeyId: field('private_key_id'),
    tokenUri,
  };
  return { kind: 'service-account', key, source: `${source} of ${key.clientEmail}` };
}

/** The signed assertion is a credential: it travels over https, or plain http on loopback only. */
function tokenUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && isLoopback(u.hostname)) return undefined;
  return 'must be an https:// URL (http:// only on loopback)';
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]' || hostname === '::1';
}
