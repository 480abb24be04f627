/**
 * The client address of a request to the auth routes. The server computes it once (socket peer,
 * or `X-Forwarded-For` read from the right under its trusted-proxy setting) and hands it to
 * `HeliosAuth.handler`, which strips any copy the client sent and sets this internal header.
 * better-auth (rate limits, sessions) and the Helios plugins (security events) read only this
 * header, never `X-Forwarded-For`.
 */
import { normalizeIp } from './api-keys.schema';

/** The internal request header that carries the computed client address to better-auth. */
export const CLIENT_IP_HEADER = 'x-helios-client-ip';

/** The client address `HeliosAuth.handler` was given for this request (canonical), or null. */
export function requestClientIp(request: Request | Headers | undefined | null): string | null {
  if (!request) return null;
  const headers = request instanceof Headers ? request : request.headers;
  return normalizeIp(headers.get(CLIENT_IP_HEADER))?.address ?? null;
}

/**
 * The request as better-auth may see it: any client-sent `CLIENT_IP_HEADER` removed, and the
 * computed address set when there is one.
 */
export function withClientIp(request: Request, clientIp: string | null | undefined): Request {
  const address = normalizeIp(clientIp)?.address ?? null;
  if (!request.headers.has(CLIENT_IP_HEADER) && address === null) return request;
  const headers = new Headers(request.headers);
  headers.delete(CLIENT_IP_HEADER);
  if (address !== null) headers.set(CLIENT_IP_HEADER, address);
  return new Request(request, { headers });
}
