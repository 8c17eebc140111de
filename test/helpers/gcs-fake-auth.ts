// The OAuth side of the GCS fake: service-account keys made at test time (node:crypto), a token endpoint that
// verifies the JWT bearer assertion as Google documents it (RS256 signature against the key's public half,
// iss, aud = token_uri, scope, iat/exp), and a metadata server that hands out tokens only to requests with
// Metadata-Flavor: Google. Every token it issues is remembered with its expiry.
import { createVerify, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';

export const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const STORAGE_SCOPES = [
  'https://www.googleapis.com/auth/devstorage.read_write',
  'https://www.googleapis.com/auth/devstorage.full_control',
  'https://www.googleapis.com/auth/cloud-platform',
];

export interface ServiceAccountKeyFile {
  readonly type: 'service_account';
  readonly project_id: string;
  readonly private_key_id: string;
  readonly private_key: string;
  readonly client_email: string;
  readonly client_id: string;
  readonly token_uri: string;
}

export class FakeTokens {
  /** Lifetime of the tokens issued, in seconds. */
  lifetimeSeconds = 3600;
  readonly issued = new Map<string, { expiresAt: number; principal: string }>();
  private readonly keys = new Map<string, { id: string; publicKey: KeyObject }>();
  tokenRequests = 0;
  metadataRequests = 0;

  /** A new service-account key whose public half the token endpoint trusts. */
  serviceAccount(
    tokenUri: string,
    email = 'pgdr-backup@pgdr-test.iam.gserviceaccount.com',
  ): ServiceAccountKeyFile {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const id = randomBytes(20).toString('hex');
    this.keys.set(email, { id, publicKey });
    return {
      type: 'service_account',
      project_id: 'pgdr-test',
      private_key_id: id,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: '100000000000000000001',
      token_uri: tokenUri,
    };
  }

  /** The principal a valid, unexpired token stands for. */
  principal(token: string | undefined): string | undefined {
    const t = token === undefined ? undefined : this.issued.get(token);
    return t && t.expiresAt > Date.now() ? t.principal : undefined;
  }

  expireAll(): void {
    for (const t of this.issued.values()) t.expiresAt = 0;
  }

  issue(principal: string): { access_token: string; expires_in: number; token_type: 'Bearer' } {
    const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.issued.set(token, { expiresAt: Date.now() + this.lifetimeSeconds * 1000, principal });
    return { access_token: token, expires_in: this.lifetimeSeconds, token_type: 'Bearer' };
  }

  /** The token endpoint's answer to a form body: [status, JSON]. */
  exchange(form: string, tokenUri: string): [number, unknown] {
    this.tokenRequests++;
    const p = new URLSearchParams(form);
    if (p.get('grant_type') !== JWT_GRANT) return invalid('unsupported_grant_type', 'Invalid grant_type.');
    const parts = (p.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return invalid('invalid_request', 'Invalid JWT.');
    const [h, c, sig] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    } catch {
      return invalid('invalid_request', 'Invalid JWT.');
    }
    if (header.alg !== 'RS256') return invalid('invalid_grant', 'Invalid JWT: alg must be RS256.');
    const key = this.keys.get(String(claims.iss));
    if (!key) return invalid('invalid_grant', 'Invalid grant: account not found');
    if (header.kid !== undefined && header.kid !== key.id)
      return invalid('invalid_grant', 'Invalid JWT Signature.');
    const ok = createVerify('RSA-SHA256').update(`${h}.${c}`).verify(key.publicKey, sig, 'base64url');
    if (!ok) return invalid('invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== tokenUri) return invalid('invalid_grant', 'Invalid JWT: Failed audience check.');
    const scopes = String(claims.scope ?? '').split(' ');
    if (!scopes.some((s) => STORAGE_SCOPES.includes(s))) return invalid('invalid_scope', 'No storage scope.');
    const now = Date.now() / 1000;
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!(iat <= now + 60 && exp > now && exp - iat <= 3600))
      return invalid(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
      );
    return [200, this.issue(String(claims.iss))];
  }
}

function invalid(error: string, description: string): [number, unknown] {
  return [error === 'invalid_grant' ? 400 : 400, { error, error_description: description }];
}
