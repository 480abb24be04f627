/**
 * Addresses in the Directory API: a user's `emails` (the primary address, the aliases, then the
 * typed entries), the non-editable test alias, and the aliases of users and groups.
 */
import { isObject, lower } from '../http-kit';
import type { IndexedMap } from '../indexed-map';
import type { Directory } from './directory';
import { duplicate, invalid, notFound } from './errors';
import { listEtag, stamp } from './paging';

/** The types of a user's `emails` entry the Directory API accepts. */
const EMAIL_TYPES = new Set(['custom', 'home', 'other', 'work']);

/** The address Google gives every user on the primary domain's test alias (`nonEditableAliases`). */
export function nonEditableAliasOf(primaryEmail: string, domain: string): string {
  return `${primaryEmail.slice(0, primaryEmail.indexOf('@'))}@${domain}.test-google-a.com`;
}

/** The typed entries (`{ address, type }`: personal and other addresses) of a user's `emails`. */
export function typedEmailsOf(
  user: Record<string, any> | undefined,
): Array<Record<string, unknown>> {
  return Array.isArray(user?.emails)
    ? user.emails.filter((e: Record<string, unknown>) => typeof e.type === 'string')
    : [];
}

/** Validates the `emails` of an insert or patch: `{ address, type (custom, home, other, work), customType?, primary? }`. */
export function parseTypedEmails(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) throw invalid('Invalid Input: emails');
  return value.map((entry) => {
    const address =
      isObject(entry) && typeof entry.address === 'string'
        ? entry.address.trim().toLowerCase()
        : '';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw invalid('Invalid Input: emails.address');
    const type = (entry as Record<string, unknown>).type ?? 'custom';
    if (typeof type !== 'string' || !EMAIL_TYPES.has(type))
      throw invalid('Invalid Input: emails.type');
    const customType = (entry as Record<string, unknown>).customType;
    return {
      address,
      type,
      ...(type === 'custom' && typeof customType === 'string' ? { customType } : {}),
    };
  });
}

/** A user's `emails` as the API answers it: the primary address, the aliases, then the typed entries. */
export function composeEmails(
  primaryEmail: string,
  aliases: unknown,
  typed: Array<Record<string, unknown>>,
): Array<Record<string, unknown>> {
  const own = [primaryEmail, ...(Array.isArray(aliases) ? aliases : [])].map((a) =>
    String(a).toLowerCase(),
  );
  const seen = new Set(own);
  const extra = typed.filter((e) => {
    const address = String(e.address).toLowerCase();
    if (seen.has(address)) return false;
    seen.add(address);
    return true;
  });
  return [
    { address: primaryEmail, primary: true },
    ...own.slice(1).map((address) => ({ address })),
    ...extra,
  ];
}

// --- aliases ----------------------------------------------------------------------------------------

export const aliasesOf = (primaryEmail: string, id: string, list: string[] | undefined) => ({
  kind: 'admin#directory#aliases',
  etag: listEtag(list ?? []),
  ...(list?.length
    ? {
        aliases: list.map((alias) =>
          stamp({ kind: 'admin#directory#alias', id, etag: '', primaryEmail, alias }),
        ),
      }
    : {}),
});
export function addAlias<T extends Record<string, any>>(
  d: Directory,
  store: IndexedMap<any>,
  id: string,
  resource: T,
  emailField: string,
  body: any,
) {
  if (!isObject(body) || !body.alias) throw invalid('Invalid Input: alias');
  const alias = d.emailOf(body.alias, 'alias');
  if (d.emailTaken(alias)) throw duplicate();
  store.set(id, stamp({ ...resource, aliases: [...(resource.aliases ?? []), alias] }));
  return stamp({
    kind: 'admin#directory#alias',
    id,
    etag: '',
    primaryEmail: resource[emailField],
    alias,
  });
}
export function removeAlias<T extends Record<string, any>>(
  store: IndexedMap<any>,
  id: string,
  resource: T,
  alias: string,
): void {
  const list: string[] = resource.aliases ?? [];
  if (!list.some((a) => lower(a) === lower(alias))) throw notFound('alias');
  const aliases = list.filter((a) => lower(a) !== lower(alias));
  const next: Record<string, any> = { ...resource, aliases };
  if (!aliases.length) delete next.aliases;
  store.set(id, stamp(next));
}
export function refreshUserEmails(d: Directory, id: string): void {
  const u = d.users.peek(id)!;
  d.users.set(
    id,
    stamp({ ...u, emails: composeEmails(u.primaryEmail, u.aliases, typedEmailsOf(u)) }),
  );
}
