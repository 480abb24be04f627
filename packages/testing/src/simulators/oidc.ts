/**
 * A small OpenID Connect provider for tests: discovery, authorization (auto-approved), token
 * (authorization code + PKCE), userinfo and JWKS endpoints on 127.0.0.1, speaking the wire format
 * of OIDC Core 1.0 / RFC 6749 / RFC 7636 so a standard OIDC client can sign in against it.
 */
import {
  createHash,
  createSign,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, requestUrl, startServer } from './http-kit';

/** A user the simulated provider can sign in. */
export interface OidcSimulatorUser {
  /** The stable subject identifier (`sub`). */
  sub: string;
  email: string;
  name?: string;
  /** The `email_verified` claim (default true). */
  emailVerified?: boolean;
}

/** Options of `startOidcSimulator`. */
export interface OidcSimulatorOptions {
  /** The users that can sign in; the first one signs in until `setNextLogin` says otherwise. */
  users: OidcSimulatorUser[];
  /** The one registered client. */
  clientId: string;
  clientSecret: string;
  /** Redirect URIs the client may use (default: any). */
  redirectUris?: string[];
  /** Lifetime of ID and access tokens in seconds (default 300). */
  tokenLifetimeSeconds?: number;
  /** A path appended to the origin to form the issuer, e.g. `/realms/acme` (default none). */
  issuerPath?: string;
}

/** One request the simulator received. */
export interface OidcSimulatorRequest {
  method: string;
  /** The path without query string. */
  path: string;
  /** The query parameters (authorize) or form fields (token), without secrets. */
  params: Record<string, string>;
}

/** A running OIDC simulator. */
export interface OidcSimulator {
  /** The issuer identifier (`http://127.0.0.1:<port>` plus `issuerPath`). */
  readonly issuer: string;
  /** `<issuer>/.well-known/openid-configuration`. */
  readonly discoveryUrl: string;
  readonly clientId: string;
  /** Every request received, oldest first. */
  readonly requests: OidcSimulatorRequest[];
  /**
   * Who the next authorizations approve: a user's `sub`, or null to make `/authorize` answer
   * `error=access_denied`. Stays in force until changed.
   * @throws Error when no user has that subject
   */
  setNextLogin(sub: string | null): void;
  /** Adds (or replaces, by `sub`) a user. */
  addUser(user: OidcSimulatorUser): void;
  /**
   * Makes the discovery document claim another issuer (to test issuer checks); null restores it.
   */
  setAdvertisedIssuer(issuer: string | null): void;
  /**
   * Claims merged into the next ID tokens (e.g. `{ aud: 'someone-else' }` or `{ nonce: 'x' }`, to
   * test that a client rejects them); null restores honest tokens.
   */
  setIdTokenOverrides(claims: Record<string, unknown> | null): void;
  /** Stops the server. */
  close(): Promise<void>;
}

interface PendingCode {
  sub: string;
  redirectUri: string;
  scope: string[];
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: string;
  expiresAt: number;
}

interface IssuedToken {
  sub: string;
  scope: string[];
  expiresAt: number;
}

const b64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...headers,
  });
  res.end(text);
}

/** Client credentials from `client_secret_basic` (RFC 6749 section 2.3.1: form-encoded, then base64). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = header?.match(/^Basic\s+(.+)$/i);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/**
 * Starts an OIDC provider on 127.0.0.1 (random port) with one client and the given users.
 *
 * - `GET /.well-known/openid-configuration`: the discovery document.
 * - `GET /authorize`: checks the client, redirect URI, `response_type=code` and the `openid` scope,
 *   then approves the current user at once and redirects back with `code`, `state` and `iss`.
 * - `POST /token`: the `authorization_code` grant; client authentication by `client_secret_basic`
 *   or `client_secret_post` (wrong credentials: 401 `invalid_client`), single-use codes that expire
 *   after 60 seconds, the same `redirect_uri`, and PKCE (`S256` or `plain`) when a challenge was
 *   sent. Answers an access token and an RS256 ID token (`iss`, `sub`, `aud`, `exp`, `iat`,
 *   `auth_time`, `nonce`, plus `email`/`email_verified` and `name` per scope).
 * - `GET|POST /userinfo`: the claims for a bearer access token.
 * - `GET /jwks`: the public key (a 2048-bit RSA key generated at start).
 *
 * @example
 * ```ts
 * const idp = await startOidcSimulator({
 *   users: [{ sub: 'u-1', email: 'ann@acme.test', name: 'Ann' }],
 *   clientId: 'helios', clientSecret: 's3cret',
 * });
 * await helios.as(admin).sso.create({ providerName: 'acme-idp', issuer: idp.issuer, clientId: 'helios', clientSecret: 's3cret' });
 * idp.setNextLogin('u-1');
 * // ... drive the sign-in, then:
 * await idp.close();
 * ```
 */
export async function startOidcSimulator(options: OidcSimulatorOptions): Promise<OidcSimulator> {
  const users = new Map<string, OidcSimulatorUser>(options.users.map((u) => [u.sub, u]));
  let nextLogin: string | null = options.users[0]?.sub ?? null;
  let advertisedIssuer: string | null = null;
  let idTokenOverrides: Record<string, unknown> | null = null;
  const lifetime = options.tokenLifetimeSeconds ?? 300;
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, IssuedToken>();
  const requests: OidcSimulatorRequest[] = [];

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }) as {
    privateKey: KeyObject;
    publicKey: KeyObject;
  };
  const kid = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url')
    .slice(0, 16);
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };

  let issuer = '';
  const path = (options.issuerPath ?? '').replace(/\/+$/, '');
  const endpoint = (p: string) => `${issuer}${p}`;

  const signJwt = (claims: Record<string, unknown>) => {
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
    const payload = b64url(JSON.stringify(claims));
    const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey);
    return `${header}.${payload}.${b64url(signature)}`;
  };

  const claimsOf = (user: OidcSimulatorUser, scope: string[]) => ({
    sub: user.sub,
    ...(scope.includes('email')
      ? { email: user.email, email_verified: user.emailVerified ?? true }
      : {}),
    ...(scope.includes('profile') && user.name ? { name: user.name } : {}),
  });

  const discovery = () => ({
    issuer: advertisedIssuer ?? issuer,
    authorization_endpoint: endpoint('/authorize'),
    token_endpoint: endpoint('/token'),
    userinfo_endpoint: endpoint('/userinfo'),
    jwks_uri: endpoint('/jwks'),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'profile', 'email'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256', 'plain'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'email',
      'email_verified',
      'name',
    ],
    authorization_response_iss_parameter_supported: true,
  });

  const authorize = (url: URL, res: ServerResponse) => {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== options.clientId) return send(res, 400, 'Unknown client_id.');
    if (!redirectUri) return send(res, 400, 'redirect_uri is required.');
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      return send(res, 400, 'redirect_uri is not a URL.');
    }
    if (options.redirectUris && !options.redirectUris.includes(redirectUri))
      return send(res, 400, 'redirect_uri is not registered.');
    const state = q.get('state');
    const back = (params: Record<string, string>) => {
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (state !== null) target.searchParams.set('state', state);
      target.searchParams.set('iss', issuer);
      res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' });
      res.end();
    };
    if (q.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
    const scope = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scope.includes('openid'))
      return back({ error: 'invalid_scope', error_description: 'The openid scope is required.' });
    const method = q.get('code_challenge_method') ?? 'plain';
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge && method !== 'S256' && method !== 'plain')
      return back({
        error: 'invalid_request',
        error_description: 'Unsupported code_challenge_method.',
      });
    const user = nextLogin ? users.get(nextLogin) : undefined;
    if (!user)
      return back({ error: 'access_denied', error_description: 'The user did not sign in.' });
    const code = randomBytes(24).toString('base64url');
    codes.set(code, {
      sub: user.sub,
      redirectUri,
      scope,
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: challenge,
      codeChallengeMethod: method,
      expiresAt: Date.now() + 60_000,
    });
    return back({ code });
  };

  const token = (req: IncomingMessage, form: URLSearchParams, res: ServerResponse) => {
    const basic = basicCredentials(req.headers.authorization);
    const client = basic ?? {
      id: form.get('client_id') ?? '',
      secret: form.get('client_secret') ?? '',
    };
    if (basic && form.has('client_secret'))
      return send(res, 400, {
        error: 'invalid_request',
        error_description: 'Use one client authentication method.',
      });
    if (
      !safeEqual(client.id, options.clientId) ||
      !safeEqual(client.secret, options.clientSecret)
    ) {
      return send(
        res,
        401,
        { error: 'invalid_client', error_description: 'Client authentication failed.' },
        basic ? { 'www-authenticate': 'Basic realm="oidc-simulator"' } : {},
      );
    }
    if (form.get('grant_type') !== 'authorization_code')
      return send(res, 400, { error: 'unsupported_grant_type' });
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    if (!pending || pending.expiresAt < Date.now())
      return send(res, 400, {
        error: 'invalid_grant',
        error_description: 'Unknown, used or expired code.',
      });
    if (form.get('redirect_uri') !== pending.redirectUri)
      return send(res, 400, {
        error: 'invalid_grant',
        error_description: 'redirect_uri does not match.',
      });
    if (pending.codeChallenge) {
      const verifier = form.get('code_verifier');
      if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier))
        return send(res, 400, {
          error: 'invalid_grant',
          error_description: 'code_verifier is missing or malformed.',
        });
      const computed =
        pending.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (!safeEqual(computed, pending.codeChallenge))
        return send(res, 400, {
          error: 'invalid_grant',
          error_description: 'PKCE verification failed.',
        });
    }
    const user = users.get(pending.sub);
    if (!user)
      return send(res, 400, {
        error: 'invalid_grant',
        error_description: 'The user no longer exists.',
      });
    const now = Math.floor(Date.now() / 1000);
    const accessToken = randomBytes(32).toString('base64url');
    tokens.set(accessToken, {
      sub: user.sub,
      scope: pending.scope,
      expiresAt: Date.now() + lifetime * 1000,
    });
    const idToken = signJwt({
      iss: issuer,
      aud: options.clientId,
      iat: now,
      exp: now + lifetime,
      auth_time: now,
      ...(pending.nonce ? { nonce: pending.nonce } : {}),
      ...claimsOf(user, pending.scope),
      ...idTokenOverrides,
    });
    return send(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: lifetime,
      scope: pending.scope.join(' '),
      id_token: idToken,
    });
  };

  const userinfo = (req: IncomingMessage, res: ServerResponse) => {
    const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const issued = bearer ? tokens.get(bearer) : undefined;
    const user = issued && issued.expiresAt > Date.now() ? users.get(issued.sub) : undefined;
    if (!issued || !user)
      return send(
        res,
        401,
        { error: 'invalid_token' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    return send(res, 200, claimsOf(user, issued.scope));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    const route =
      path && url.pathname.startsWith(path) ? url.pathname.slice(path.length) || '/' : url.pathname;
    const method = req.method ?? 'GET';
    const form =
      method === 'POST'
        ? new URLSearchParams(await readBody(req, 1_000_000))
        : new URLSearchParams();
    const params: Record<string, string> = {};
    for (const [k, v] of [...url.searchParams, ...form])
      if (k !== 'client_secret' && k !== 'code_verifier') params[k] = v;
    requests.push({ method, path: url.pathname, params });
    if (method === 'GET' && route === '/.well-known/openid-configuration')
      return send(res, 200, discovery());
    if (method === 'GET' && route === '/jwks') return send(res, 200, { keys: [jwk] });
    if (method === 'GET' && route === '/authorize') return authorize(url, res);
    if (method === 'POST' && route === '/token') {
      if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return send(res, 400, {
          error: 'invalid_request',
          error_description: 'The token request must be form-encoded.',
        });
      }
      return token(req, form, res);
    }
    if ((method === 'GET' || method === 'POST') && route === '/userinfo') return userinfo(req, res);
    return send(res, 404, { error: 'not_found' });
  };
  const server = await startServer(handle, (_error, res) => {
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
    else res.end();
  });
  issuer = `${server.origin}${path}`;

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    clientId: options.clientId,
    requests,
    setNextLogin(sub) {
      if (sub !== null && !users.has(sub))
        throw new Error(`The OIDC simulator has no user with sub ${sub}.`);
      nextLogin = sub;
    },
    addUser(user) {
      users.set(user.sub, user);
    },
    setAdvertisedIssuer(value) {
      advertisedIssuer = value;
    },
    setIdTokenOverrides(claims) {
      idTokenOverrides = claims;
    },
    close: () => server.close(),
  };
}
