/**
 * Access tokens of the Graph simulator: app-only tokens (client credentials) signed by the
 * simulator, carrying the application roles consented when issued, and their check on every call.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../http-kit';
import { GRAPH_APPLICATION_PERMISSIONS } from './permissions';
import { GRAPH_HOST, LOGIN_HOST, type Tenant } from './tenant';
import { GraphError } from './wire';

/** The application id of Microsoft Graph (an accepted audience). */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

interface AppToken {
  tid: string;
  appid: string;
  roles: string[];
  exp: number;
  aud: string;
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;

export function createAccessTokens(t: Tenant) {
  const { tenantId, clientId, servicePrincipalId, signingKey } = t;
  /** The roles consented for the app (null: no admin consent). */
  const access: { consented: Set<string> | null } = {
    consented: new Set(GRAPH_APPLICATION_PERMISSIONS),
  };

  const b64json = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const issueAccessToken = (): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64json({ typ: 'JWT', alg: 'HS256', kid: 'helios-graph-sim' });
    const payload: Record<string, unknown> = {
      aud: GRAPH_HOST,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + 3599,
      aio: randomBytes(12).toString('base64url'),
      app_displayname: 'Helios Graph simulator app',
      appid: clientId,
      appidacr: '1',
      idp: `https://sts.windows.net/${tenantId}/`,
      idtyp: 'app',
      oid: servicePrincipalId,
      rh: '0.sim.',
      sub: servicePrincipalId,
      tenant_region_scope: 'NA',
      tid: tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      xms_tcdt: 1577836800,
    };
    if (access.consented?.size) payload.roles = [...access.consented];
    const body = `${header}.${b64json(payload)}`;
    return `${body}.${createHmac('sha256', signingKey).update(body).digest('base64url')}`;
  };
  const verifyAccessToken = (token: string): AppToken | string => {
    const parts = token.split('.');
    if (parts.length !== 3) return 'IDX14100: JWT is not well formed, there are no dots (.).';
    const want = createHmac('sha256', signingKey).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2]!, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return 'Access token validation failure. Invalid signature.';
    let claims: any;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return 'IDX14102: Unable to decode the payload.';
    }
    if (claims.aud !== GRAPH_HOST && claims.aud !== GRAPH_APP_ID)
      return 'Access token validation failure. Invalid audience.';
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now())
      return 'Lifetime validation failed, the token is expired.';
    return {
      tid: claims.tid,
      appid: claims.appid,
      roles: Array.isArray(claims.roles) ? claims.roles : [],
      exp: claims.exp,
      aud: claims.aud,
    };
  };

  /** Authenticates a bearer token: the roles it may use now, or the error to answer. */
  const authenticate = (authorization: string | undefined): Set<string> | GraphError => {
    const bearer = bearerToken(authorization);
    const unauthorized = (message: string) =>
      new GraphError(401, 'InvalidAuthenticationToken', message, {
        'WWW-Authenticate': `Bearer realm="", authorization_uri="${LOGIN_HOST}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
      });
    if (!bearer) return unauthorized('Access token is empty.');
    const token = verifyAccessToken(bearer);
    if (typeof token === 'string') return unauthorized(token);
    if (token.tid !== tenantId || token.appid !== clientId)
      return unauthorized('Access token validation failure. Invalid audience.');
    return new Set(token.roles.filter((r) => access.consented?.has(r)));
  };

  return { access, issueAccessToken, authenticate };
}
