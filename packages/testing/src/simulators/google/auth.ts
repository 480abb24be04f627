/**
 * Credentials of the Directory API simulator: the generated service account, domain-wide
 * delegation, the OAuth token endpoint (JWT bearer grant, RFC 7523) and the check of the bearer
 * token of every API call.
 */
import {
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  verify as verifySignature,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, isObject, lower } from '../http-kit';
import type { Directory } from './directory';
import { ApiError, forbidden, sendGoogleJson } from './errors';
import { GOOGLE_DIRECTORY_SCOPES, GOOGLE_WORKSPACE_EXTRA_SCOPES } from './scopes';
import type { GoogleDirectorySimulator } from './types';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GOOGLE_TOKEN_AUDIENCES = [
  'https://oauth2.googleapis.com/token',
  'https://www.googleapis.com/oauth2/v4/token',
  'https://accounts.google.com/o/oauth2/token',
];
const CONSOLE = 'https://developers.google.com/identity/sign-in/web/devconsole-project';

interface IssuedToken {
  sub: string;
  clientId: string;
  scopes: Set<string>;
  expiresAt: number;
}

/** The service accounts, their delegated scopes and the access tokens issued. */
export class GoogleAuth {
  private readonly privateKey: KeyObject;
  private readonly privateKeyId = randomBytes(20).toString('hex');
  private readonly projectId = 'helios-directory-sim';
  private readonly clientEmail = `directory-sync@${this.projectId}.iam.gserviceaccount.com`;
  private readonly clientId = `1${BigInt(`0x${randomBytes(9).toString('hex')}`)
    .toString()
    .padStart(20, '0')
    .slice(0, 20)}`;
  private readonly accounts: Map<string, { clientId: string; publicKey: KeyObject; keyId: string }>;
  private readonly delegations = new Map<string, Set<string>>([
    [this.clientId, new Set([...GOOGLE_DIRECTORY_SCOPES, ...GOOGLE_WORKSPACE_EXTRA_SCOPES])],
  ]);
  private readonly tokens = new Map<string, IssuedToken>();
  /** The token endpoint's URL (an accepted `aud`), known once the server listens. */
  tokenUrl = '';

  constructor(private readonly onIssued: () => void) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }) as {
      privateKey: KeyObject;
      publicKey: KeyObject;
    };
    this.privateKey = privateKey;
    this.accounts = new Map([
      [this.clientEmail, { clientId: this.clientId, publicKey, keyId: this.privateKeyId }],
    ]);
  }

  /** The key file of the generated service account. */
  serviceAccountKey(): GoogleDirectorySimulator['serviceAccountKey'] {
    return {
      type: 'service_account',
      project_id: this.projectId,
      private_key_id: this.privateKeyId,
      private_key: this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      client_email: this.clientEmail,
      client_id: this.clientId,
      token_uri: this.tokenUrl,
    };
  }

  /** Sets the scopes delegated to a client (null revokes) and revokes its access tokens. */
  grantDelegation(client: string, scopes: string[] | null): void {
    if (scopes === null) this.delegations.delete(client);
    else this.delegations.set(client, new Set(scopes));
    for (const [token, issued] of this.tokens)
      if (issued.clientId === client) this.tokens.delete(token);
  }

  /**
   * Checks the bearer token of an API call against the route's scopes and its subject (a super
   * admin unless `admin` is false; not suspended); answers the error to send, or who the call acts as.
   */
  authenticate(
    d: Directory,
    authorization: string | undefined,
    scopes: string[],
    admin = true,
  ): ApiError | { subject: string; subjectId: string } {
    const bearer = bearerToken(authorization);
    if (!bearer) {
      return new ApiError(
        401,
        `Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See ${CONSOLE}.`,
        'required',
        'global',
        { detail: 'Login Required.', location: 'Authorization', locationType: 'header' },
      );
    }
    const token = this.tokens.get(bearer);
    if (!token || token.expiresAt <= Date.now()) {
      if (token) this.tokens.delete(bearer);
      return new ApiError(
        401,
        `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See ${CONSOLE}.`,
        'authError',
        'global',
        { detail: 'Invalid Credentials', location: 'Authorization', locationType: 'header' },
      );
    }
    if (!scopes.some((s) => token.scopes.has(s))) {
      return new ApiError(
        403,
        'Request had insufficient authentication scopes.',
        'insufficientPermissions',
        'global',
        { detail: 'Insufficient Permission' },
      );
    }
    const subjectId = d.findUserId(token.sub);
    const subject = subjectId === undefined ? undefined : d.users.peek(subjectId);
    if (!subject || subject.suspended || (admin && !subject.isAdmin)) return forbidden();
    return { subject: token.sub, subjectId: subjectId! };
  }

  /** `POST /token`: the JWT bearer grant (RFC 7523) of a service account, with domain-wide delegation when `sub` is set. */
  tokenEndpoint(d: Directory, req: IncomingMessage, text: string, res: ServerResponse) {
    const { accounts, delegations, tokens } = this;
    const fail = (status: number, error: string, description: string) =>
      sendGoogleJson(res, status, { error, error_description: description });
    if (req.method !== 'POST') return fail(405, 'invalid_request', 'Method not allowed; use POST.');
    let form: URLSearchParams;
    try {
      form = lower(req.headers['content-type']).includes('json')
        ? new URLSearchParams(JSON.parse(text || '{}'))
        : new URLSearchParams(text);
    } catch {
      return fail(400, 'invalid_request', 'Could not parse the request body.');
    }
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER)
      return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    const assertion = form.get('assertion');
    if (!assertion) return fail(400, 'invalid_request', 'Missing required parameter: assertion');
    const parts = assertion.split('.');
    let header: any;
    let claims: any;
    try {
      if (parts.length !== 3) throw new Error('parts');
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
      if (!isObject(header) || !isObject(claims)) throw new Error('shape');
    } catch {
      return fail(400, 'invalid_grant', 'Invalid JWT: the assertion is not a well-formed JWT.');
    }
    const account = accounts.get(String(claims.iss ?? ''));
    if (!account) return fail(400, 'invalid_grant', 'Invalid grant: account not found');
    const signed =
      header.alg === 'RS256' &&
      (header.kid === undefined || header.kid === account.keyId) &&
      verifySignature(
        'RSA-SHA256',
        Buffer.from(`${parts[0]}.${parts[1]}`),
        account.publicKey,
        Buffer.from(parts[2]!, 'base64url'),
      );
    if (!signed) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== this.tokenUrl && !GOOGLE_TOKEN_AUDIENCES.includes(claims.aud))
      return fail(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      exp <= now ||
      iat > now + 300 ||
      exp - iat > 3600 ||
      exp < iat
    ) {
      return fail(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = String(claims.scope ?? '')
      .split(/\s+/)
      .filter(Boolean);
    if (!scopes.length)
      return fail(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    let sub = String(claims.iss);
    if (claims.sub !== undefined && claims.sub !== claims.iss) {
      const granted = delegations.get(account.clientId);
      if (!granted || scopes.some((s) => !granted.has(s))) {
        return fail(
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        );
      }
      const id = d.findUserId(String(claims.sub));
      const user = id === undefined ? undefined : d.users.peek(id);
      if (!user || user.suspended) return fail(400, 'invalid_grant', 'Invalid email or User ID');
      sub = lower(user.primaryEmail);
    }
    const accessToken = `ya29.${randomBytes(48).toString('base64url')}`;
    tokens.set(accessToken, {
      sub,
      clientId: account.clientId,
      scopes: new Set(scopes),
      expiresAt: Date.now() + 3600_000,
    });
    this.onIssued();
    return sendGoogleJson(
      res,
      200,
      { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' },
      { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' },
    );
  }
}
