/**
 * Gmail API v1 settings routes of the simulator (under `gmail/v1/users/{userId}/settings/`):
 * `forwardingAddresses` (create, list, get, delete: an address on one of the customer's domains is
 * `accepted` at once, another one `pending` until its owner confirms), `autoForwarding` (get,
 * update: enabling it with an address that is not an accepted forwarding address is 400
 * failedPrecondition), `vacation` (get, update) and `sendAs` (list, get, patch). The token must act
 * as the mailbox's owner (`userId` is `me` or the subject's address, else 403 as Google's
 * "Delegation denied"). Scopes `gmail.settings.basic` / `gmail.settings.sharing`.
 */
import { isObject, lower } from '../http-kit';
import { ApiError, invalid, notFound } from './errors';
import type { Route, RouteContext } from './router';
import { GMAIL_BASIC, GMAIL_READ, GMAIL_SHARING } from './scopes';
import type { SimGmailSettings, Workspace } from './workspace';

const ok = (body: unknown) => ({ status: 200, body });
const DISPOSITIONS = ['leaveInInbox', 'archive', 'trash', 'markRead'];
const VACATION_FIELDS = [
  'enableAutoReply',
  'responseSubject',
  'responseBodyPlainText',
  'responseBodyHtml',
  'restrictToContacts',
  'restrictToDomain',
  'startTime',
  'endTime',
];
const SEND_AS_WRITABLE = [
  'displayName',
  'replyToAddress',
  'signature',
  'isDefault',
  'treatAsAlias',
];

/** The mailbox a call may reach: the subject's own. */
function mailbox(w: Workspace, userId: string, ctx: RouteContext): SimGmailSettings {
  const own = userId === 'me' || w.userIdOf(userId) === ctx.subjectId;
  if (!own) throw new ApiError(403, `Delegation denied for ${ctx.subject}`, 'forbidden');
  return w.gmailOf(ctx.subjectId);
}

const forwardingOut = (email: string, status: string) => ({
  forwardingEmail: email,
  verificationStatus: status,
});

/** The Gmail route of a method and the path segments under `gmail/v1/`, if any. */
export function resolveGmailRoute(w: Workspace, method: string, segs: string[]): Route | undefined {
  const [u, userId, s, what, item] = segs;
  if (u !== 'users' || !userId || s !== 'settings' || !what) return undefined;
  const n = segs.length;
  const r = (
    name: string,
    scopes: string[],
    run: (g: SimGmailSettings, ctx: RouteContext) => any,
  ) =>
    ({
      name,
      scopes,
      admin: false,
      run: (ctx) => run(mailbox(w, userId, ctx), ctx),
    }) satisfies Route;
  if (what === 'forwardingAddresses') {
    if (n === 4 && method === 'GET')
      return r('gmail.forwardingAddresses.list', GMAIL_READ, (g) =>
        ok({
          forwardingAddresses: [...g.forwardingAddresses].map(([e, st]) => forwardingOut(e, st)),
        }),
      );
    if (n === 4 && method === 'POST')
      return r('gmail.forwardingAddresses.create', GMAIL_SHARING, (g, { body }) => {
        const email = lower(isObject(body) ? body.forwardingEmail : '').trim();
        if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw invalid('Invalid forwarding address');
        if (g.forwardingAddresses.has(email))
          throw new ApiError(409, 'Forwarding address already exists', 'alreadyExists');
        const status = w.inCustomer(email) ? 'accepted' : 'pending';
        g.forwardingAddresses.set(email, status);
        return ok(forwardingOut(email, status));
      });
    if (n === 5 && method === 'GET')
      return r('gmail.forwardingAddresses.get', GMAIL_READ, (g) => {
        const st = g.forwardingAddresses.get(lower(item));
        if (!st) throw notFound('forwardingEmail');
        return ok(forwardingOut(lower(item), st));
      });
    if (n === 5 && method === 'DELETE')
      return r('gmail.forwardingAddresses.delete', GMAIL_SHARING, (g) => {
        if (!g.forwardingAddresses.delete(lower(item))) throw notFound('forwardingEmail');
        if (lower(g.autoForwarding.emailAddress) === lower(item))
          g.autoForwarding = { enabled: false };
        return { status: 204 };
      });
  }
  if (what === 'autoForwarding' && n === 4) {
    if (method === 'GET')
      return r('gmail.autoForwarding.get', GMAIL_READ, (g) => ok({ ...g.autoForwarding }));
    if (method === 'PUT')
      return r('gmail.autoForwarding.update', GMAIL_SHARING, (g, { body }) => {
        if (!isObject(body)) throw invalid('Invalid auto-forwarding setting');
        if (body.enabled !== true) {
          g.autoForwarding = { enabled: false };
          return ok({ ...g.autoForwarding });
        }
        const email = lower(body.emailAddress);
        if (g.forwardingAddresses.get(email) !== 'accepted')
          throw new ApiError(400, 'Unverified forwarding address', 'failedPrecondition');
        const disposition = body.disposition ?? 'leaveInInbox';
        if (!DISPOSITIONS.includes(disposition)) throw invalid('Invalid disposition');
        g.autoForwarding = { enabled: true, emailAddress: email, disposition };
        return ok({ ...g.autoForwarding });
      });
  }
  if (what === 'vacation' && n === 4) {
    if (method === 'GET') return r('gmail.vacation.get', GMAIL_READ, (g) => ok({ ...g.vacation }));
    if (method === 'PUT')
      return r('gmail.vacation.update', GMAIL_BASIC, (g, { body }) => {
        if (!isObject(body)) throw invalid('Invalid vacation setting');
        const next: Record<string, any> = { enableAutoReply: body.enableAutoReply === true };
        for (const f of VACATION_FIELDS)
          if (f !== 'enableAutoReply' && body[f] !== undefined && body[f] !== null)
            next[f] = body[f];
        if (next.startTime && next.endTime && Number(next.endTime) < Number(next.startTime))
          throw invalid('Invalid vacation responder: endTime is before startTime');
        g.vacation = next;
        return ok({ ...g.vacation });
      });
  }
  if (what === 'sendAs') {
    if (n === 4 && method === 'GET')
      return r('gmail.sendAs.list', GMAIL_READ, (g) =>
        ok({ sendAs: [...g.sendAs.values()].map((a) => ({ ...a })) }),
      );
    if (n === 5 && method === 'GET')
      return r('gmail.sendAs.get', GMAIL_READ, (g) => {
        const alias = g.sendAs.get(lower(item));
        if (!alias) throw notFound('sendAsEmail');
        return ok({ ...alias });
      });
    if (n === 5 && (method === 'PATCH' || method === 'PUT'))
      return r(
        `gmail.sendAs.${method === 'PATCH' ? 'patch' : 'update'}`,
        GMAIL_BASIC,
        (g, { body }) => {
          const alias = g.sendAs.get(lower(item));
          if (!alias) throw notFound('sendAsEmail');
          if (!isObject(body)) throw invalid('Invalid send-as');
          for (const f of SEND_AS_WRITABLE) if (body[f] !== undefined) alias[f] = body[f];
          if (body.isDefault === true)
            for (const other of g.sendAs.values()) if (other !== alias) other.isDefault = false;
          return ok({ ...alias });
        },
      );
  }
  return undefined;
}
