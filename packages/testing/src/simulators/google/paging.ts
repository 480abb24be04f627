/**
 * Output helpers of the Directory API simulator: etags, list pages and their page tokens (the last
 * sort key of a page and a fingerprint of the query), and integer parameters.
 */
import { createHash } from 'node:crypto';
import { etagOf } from './data';
import { ApiError, invalid } from './errors';

/** Sets a resource's etag from its content. */
export const stamp = <T extends Record<string, any>>(resource: T): T => {
  (resource as Record<string, any>).etag = etagOf(resource);
  return resource;
};

export const listEtag = (keys: string[]) =>
  `"${createHash('sha1').update(keys.join(',')).digest('base64url')}"`;

/** A short hash of the query a page token belongs to. */
export const fingerprint = (parts: unknown[]) =>
  createHash('sha1').update(JSON.stringify(parts)).digest('base64url').slice(0, 10);

const encodeToken = (last: string, fp: string) =>
  Buffer.from(JSON.stringify([last, fp])).toString('base64url');

/** The last sort key of the previous page, from a page token of the same query. */
export const decodeToken = (token: string | null, fp: string): string | undefined => {
  if (!token) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && parsed[1] === fp)
      return parsed[0];
  } catch {
    // fall through
  }
  throw invalid('Invalid Input: pageToken');
};

export const intParam = (
  query: URLSearchParams,
  name: string,
  fallback: number,
  max: number,
): number => {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ApiError(
      400,
      `Invalid value '${raw}'. Values must be within the range: [1, ${max}]`,
      'invalid',
      'global',
      {
        location: name,
        locationType: 'parameter',
      },
    );
  return n;
};

/** A list page: `kind`, `etag`, the items under `field` (absent when none) and `nextPageToken`. */
export const page = <T>(
  kind: string,
  field: string,
  items: T[],
  last: string | undefined,
  more: boolean,
  fp: string,
  keys: string[],
) => ({
  kind,
  etag: listEtag(keys),
  ...(items.length ? { [field]: items } : {}),
  ...(more && last !== undefined ? { nextPageToken: encodeToken(last, fp) } : {}),
});
