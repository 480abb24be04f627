/**
 * The Microsoft identity platform of the Graph simulator: the token endpoint (client credentials,
 * secret in the form or HTTP Basic) with Entra's `AADSTS` errors, the OpenID configuration, the
 * (empty) key set and instance discovery.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lower, sendJson } from '../http-kit';
import { GRAPH_APP_ID } from './access-tokens';
import { GRAPH_HOST, type Tenant } from './tenant';

export interface IdentityHooks {
  /** Counts a request by route. */
  count(name: string): void;
  /** Called for every access token issued. */
  onIssued(): void;
  issueAccessToken(): string;
}

/** The handler of the identity platform's routes: true when it answered the request. */
export function createIdentity(sim: Tenant, hooks: IdentityHooks) {
  const { tenantId, domain, initialDomain, clientId, clientSecret, links } = sim;
  const { count, onIssued, issueAccessToken } = hooks;

  const knownTenant = (t: string) => {
    const l = lower(t);
    return l === tenantId || l === domain || l === initialDomain;
  };
  const aadError = (
    res: ServerResponse,
    status: number,
    error: string,
    code: number,
    description: string,
    correlationId: string,
  ) => {
    const traceId = randomUUID();
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d{3}Z$/, 'Z');
    sendJson(
      res,
      status,
      {
        error,
        error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${links.loginRoot}/error?code=${code}`,
      },
      { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': traceId },
    );
  };
  const tenantNotFound = (tenant: string) =>
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
  const tokenEndpoint = (
    req: IncomingMessage,
    tenant: string,
    text: string,
    res: ServerResponse,
  ) => {
    const correlationId = String(
      req.headers['client-request-id'] ??
        new URL(req.url ?? '/', 'http://x').searchParams.get('client-request-id') ??
        randomUUID(),
    );
    if (!knownTenant(tenant))
      return aadError(res, 400, 'invalid_request', 90002, tenantNotFound(tenant), correlationId);
    const form = new URLSearchParams(text);
    const grantType = form.get('grant_type');
    if (!grantType)
      return aadError(
        res,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
        correlationId,
      );
    if (grantType !== 'client_credentials')
      return aadError(
        res,
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
        correlationId,
      );
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const cut = decoded.indexOf(':');
      id = id ?? decodeURIComponent(decoded.slice(0, cut));
      secret = secret ?? decodeURIComponent(decoded.slice(cut + 1));
    }
    if (!id)
      return aadError(
        res,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
        correlationId,
      );
    if (lower(id) !== clientId)
      return aadError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${id}' was not found in the directory 'Helios Simulated Tenant'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        correlationId,
      );
    if (!secret && !form.get('client_assertion'))
      return aadError(
        res,
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        correlationId,
      );
    if (secret !== clientSecret)
      return aadError(
        res,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        correlationId,
      );
    const scope = (form.get('scope') ?? '').trim();
    if (!scope)
      return aadError(
        res,
        400,
        'invalid_scope',
        70011,
        "The provided request must include a 'scope' input parameter.",
        correlationId,
      );
    const scopes = scope.split(/\s+/);
    if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default'))
      return aadError(
        res,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.find((s) => !s.endsWith('/.default')) ?? scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        correlationId,
      );
    const resource = scopes[0]!.slice(0, -'/.default'.length).replace(/\/$/, '');
    if (
      resource !== GRAPH_HOST &&
      resource !== GRAPH_APP_ID &&
      resource !== 'https://graph.microsoft.com/v1.0'
    )
      return aadError(
        res,
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named Helios Simulated Tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        correlationId,
      );
    onIssued();
    return sendJson(
      res,
      200,
      {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: issueAccessToken(),
      },
      {
        'cache-control': 'no-store, no-cache',
        pragma: 'no-cache',
        'client-request-id': correlationId,
        'x-ms-request-id': randomUUID(),
      },
    );
  };
  const openidConfiguration = (tenant: string) => {
    const t = ['common', 'organizations'].includes(lower(tenant)) ? lower(tenant) : tenantId;
    const issuerTenant = t === tenantId ? tenantId : '{tenantid}';
    return {
      token_endpoint: `${links.loginRoot}/${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      jwks_uri: `${links.loginRoot}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${links.loginRoot}/${issuerTenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${GRAPH_HOST}/oidc/userinfo`,
      authorization_endpoint: `${links.loginRoot}/${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${links.loginRoot}/${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${links.loginRoot}/${t}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      kerberos_endpoint: `${links.loginRoot}/${t}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  };
  const instanceDiscovery = (query: URLSearchParams) => {
    const endpoint = query.get('authorization_endpoint') ?? '';
    const tenant = /^https?:\/\/[^/]+\/([^/]+)\//.exec(endpoint)?.[1] ?? 'common';
    const host = new URL(links.loginRoot).host;
    const aliases =
      host === 'login.microsoftonline.com'
        ? [
            'login.microsoftonline.com',
            'login.windows.net',
            'login.microsoft.com',
            'sts.windows.net',
          ]
        : [host];
    return {
      tenant_discovery_endpoint: `${links.loginRoot}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [
        {
          preferred_network: host,
          preferred_cache: host === 'login.microsoftonline.com' ? 'login.windows.net' : host,
          aliases,
        },
      ],
    };
  };
  const identity = (req: IncomingMessage, url: URL, text: string, res: ServerResponse): boolean => {
    const segs = url.pathname.split('/').filter(Boolean);
    const method = (req.method ?? 'GET').toUpperCase();
    const correlationId = String(req.headers['client-request-id'] ?? randomUUID());
    if (segs.length === 4 && segs[1] === 'oauth2' && segs[2] === 'v2.0' && segs[3] === 'token') {
      count('token');
      if (method !== 'POST') {
        aadError(
          res,
          405,
          'invalid_request',
          900561,
          'The endpoint only accepts POST requests.',
          correlationId,
        );
        return true;
      }
      tokenEndpoint(req, segs[0]!, text, res);
      return true;
    }
    const wellKnown =
      (segs.length === 4 &&
        segs[1] === 'v2.0' &&
        segs[2] === '.well-known' &&
        segs[3] === 'openid-configuration') ||
      (segs.length === 3 && segs[1] === '.well-known' && segs[2] === 'openid-configuration');
    if (wellKnown && method === 'GET') {
      count('openidConfiguration');
      if (!knownTenant(segs[0]!) && !['common', 'organizations'].includes(lower(segs[0]))) {
        aadError(res, 400, 'invalid_tenant', 90002, tenantNotFound(segs[0]!), correlationId);
        return true;
      }
      sendJson(res, 200, openidConfiguration(segs[0]!), {
        'cache-control': 'max-age=86400, private',
      });
      return true;
    }
    if (
      segs.length === 4 &&
      segs[1] === 'discovery' &&
      segs[2] === 'v2.0' &&
      segs[3] === 'keys' &&
      method === 'GET'
    ) {
      count('jwks');
      sendJson(res, 200, { keys: [] });
      return true;
    }
    if (
      segs.length === 3 &&
      lower(segs[0]) === 'common' &&
      segs[1] === 'discovery' &&
      segs[2] === 'instance' &&
      method === 'GET'
    ) {
      count('instanceDiscovery');
      sendJson(res, 200, instanceDiscovery(url.searchParams));
      return true;
    }
    return false;
  };

  return identity;
}
