/**
 * The organization's SMTP settings (one row per organization, the password encrypted with the
 * secret box and never returned), a test message through them, and the resolution of the mailer
 * Helios sends invitations and password resets with.
 *
 * Owns: smtp_settings.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import type { Mailer } from '../../shared/mailer';
import {
  assertHostAllowed,
  type NetworkOptions,
  networkOf,
  secretReentryRequired,
} from '../../shared/outbound-guard';
import type { SecretBox } from '../../shared/secret-box';
import { secretContext } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { type SmtpMailerOptions, smtpMailer } from '../../shared/smtp-mailer';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { OPERATIONS_ERRORS } from './operations.errors';
import { type SetSmtpSettingsInput, sendTestSchema, setSmtpSettingsSchema } from './smtp.schema';

export type { SmtpMailer, SmtpMailerOptions } from '../../shared/smtp-mailer';
export { smtpMailer } from '../../shared/smtp-mailer';
export * from './smtp.schema';

/** The SMTP settings as returned: the password is never returned, only whether one is stored. */
export interface SmtpConfig {
  id: string;
  host: string;
  port: number;
  username: string | null;
  fromEmail: string;
  fromName: string | null;
  useTls: boolean;
  /** Whether Helios sends its mail through these settings. */
  isActive: boolean;
  /** True once a test message went through these exact settings. */
  isVerified: boolean;
  /** True when a password is stored (encrypted). */
  passwordConfigured: boolean;
  /** Fingerprint of the stored password: the id of the encryption key it is sealed with, or null. */
  passwordKeyId: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** The result of a test message. */
export interface SmtpTestResult {
  to: string;
  sentAt: Date;
}

/** The organization's SMTP settings (admins: `security:read` / `security:write`). */
export interface SmtpService {
  /**
   * The SMTP settings, without the password.
   * @throws HeliosError NOT_FOUND `SMTP.NOT_CONFIGURED`; FORBIDDEN `POLICY.FORBIDDEN` for non-admins
   * @example
   * ```ts
   * const smtp = await helios.as(admin).smtp.get();
   * console.log(smtp.host, smtp.passwordConfigured);
   * ```
   */
  get(options?: CallOptions): Promise<SmtpConfig>;
  /** As `get`, or null when nothing is configured. @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` */
  find(options?: CallOptions): Promise<SmtpConfig | null>;
  /**
   * Stores the SMTP settings (creating or replacing them). The password is encrypted; omitting it
   * keeps the stored one (only while host, port and TLS stay the same), `null` removes it. Any change
   * clears `isVerified`. The host must be allowed by the outbound-address guard (createHelios `network`).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `SECRETS.REENTRY_REQUIRED` (host, port or TLS
   *   changed without the password), `NETWORK.TARGET_NOT_ALLOWED`; PRECONDITION_FAILED `SECRETS.NO_KEY` when a
   *   password is given and no encryption key is configured; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).smtp.set({ host: 'smtp.acme.com', port: 587, username: 'portal', password: 's3cret',
   *   fromEmail: 'portal@acme.com', fromName: 'Acme Portal', useTls: true });
   * ```
   */
  set(input: SetSmtpSettingsInput, options?: CallOptions): Promise<SmtpConfig>;
  /** Removes the SMTP settings; false when there were none. @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` */
  delete(options?: CallOptions): Promise<boolean>;
  /**
   * Sends a test message to `to` through the stored SMTP settings (outside any transaction) and,
   * when it is accepted, marks them verified.
   * @throws HeliosError EXTERNAL_SERVICE `SMTP.SEND_FAILED` (retryable) when the server refuses or is
   *   unreachable; INVALID_INPUT `NETWORK.TARGET_NOT_ALLOWED` when the host resolves to a refused address; NOT_FOUND `SMTP.NOT_CONFIGURED`; PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION` inside
   *   `helios.transaction`, `SECRETS.NO_KEY`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).smtp.sendTest('ada@acme.com');
   * ```
   */
  sendTest(to: string, options?: CallOptions): Promise<SmtpTestResult>;
}

const passwordContext = (organizationId: string) =>
  secretContext('smtp_settings', 'password_encrypted', organizationId);

function noKey(): HeliosError {
  return SHARED_ERRORS.SECRETS_NO_KEY({
    message: 'The SMTP password needs an encryption key (HELIOS_ENCRYPTION_KEY).',
  });
}

function toSmtpConfig(row: Row<'smtp_settings'>, box: SecretBox | null): SmtpConfig {
  const sealed = row.password_encrypted;
  return {
    id: row.id,
    host: row.host,
    port: row.port,
    username: row.username,
    fromEmail: row.from_email,
    fromName: row.from_name,
    useTls: row.use_tls !== false,
    isActive: row.is_active !== false,
    isVerified: row.is_verified === true,
    passwordConfigured: sealed !== null && sealed !== '',
    passwordKeyId: sealed ? (box?.keyIdOf(sealed) ?? sealed.split(':')[1] ?? null) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The non-secret fields compared in audit rows. */
const auditView = (row: Row<'smtp_settings'> | undefined) =>
  row
    ? {
        host: row.host,
        port: row.port,
        username: row.username,
        from_email: row.from_email,
        from_name: row.from_name,
        use_tls: row.use_tls,
        is_active: row.is_active,
      }
    : null;

async function readSettings(
  db: Kysely<Database>,
  organizationId: string,
): Promise<Row<'smtp_settings'> | undefined> {
  return db
    .selectFrom('smtp_settings')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
}

/** Mailer options from stored settings: the host came from a request, so it goes through the outbound-address guard. */
function mailerOptions(
  row: Row<'smtp_settings'>,
  box: SecretBox | null,
  network: Required<NetworkOptions>,
): SmtpMailerOptions {
  let password: string | null = null;
  if (row.password_encrypted) {
    if (!box) throw noKey();
    password = box.decrypt(row.password_encrypted, passwordContext(row.organization_id));
  }
  return {
    host: row.host,
    port: row.port,
    username: row.username,
    password,
    fromEmail: row.from_email,
    fromName: row.from_name,
    useTls: row.use_tls !== false,
    network,
  };
}

/**
 * The mailer Helios sends with, or null when none is configured: the mailer given to createHelios,
 * else an SMTP mailer built from the organization's active SMTP settings (password decrypted).
 * `on` reads the settings through another handle (the operation's transaction).
 *
 * @throws HeliosError PRECONDITION_FAILED `SECRETS.NO_KEY` when the stored password cannot be decrypted for want of a key
 */
export async function findMailer(
  rt: ServiceRuntime,
  on?: { db: Kysely<Database>; organizationId: string },
): Promise<Mailer | null> {
  if (rt.instance.mailer) return rt.instance.mailer;
  const organizationId = on?.organizationId ?? (await rt.findOrganizationId());
  if (!organizationId) return null;
  const row = await readSettings(on?.db ?? rt.db, organizationId);
  if (!row || row.is_active === false) return null;
  return smtpMailer(mailerOptions(row, rt.secretBox, networkOf(rt)));
}

/**
 * The mailer Helios sends with: the one given to createHelios, else an SMTP mailer built from the
 * organization's SMTP settings.
 *
 * @throws HeliosError PRECONDITION_FAILED `MAIL.NOT_CONFIGURED` when there is neither; `SECRETS.NO_KEY`
 * @example
 * ```ts
 * const mailer = await resolveMailer(rt);
 * await mailer.send({ to: 'ada@acme.com', subject: 'Hello', text: 'Hi' });
 * ```
 */
export async function resolveMailer(rt: ServiceRuntime): Promise<Mailer> {
  const mailer = await findMailer(rt);
  if (!mailer) {
    throw OPERATIONS_ERRORS.MAIL_NOT_CONFIGURED({});
  }
  return mailer;
}

/** Builds the SMTP settings service. */
export function createSmtpService(rt: ServiceRuntime): SmtpService {
  const find = (options?: CallOptions) =>
    rt.read(options, async (s) => {
      await s.authorize('security:read');
      const row = await readSettings(s.db, s.organizationId);
      return row ? toSmtpConfig(row, rt.secretBox) : null;
    });
  const notConfigured = () => OPERATIONS_ERRORS.SMTP_NOT_CONFIGURED();

  return {
    find,
    async get(options) {
      const config = await find(options);
      if (!config) throw notConfigured();
      return config;
    },

    set: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        // The SMTP server receives every password-reset and invitation link.
        assertAdministrator(s.principal, 'security:write', 'changing the SMTP settings');
        const data = parseInput(setSmtpSettingsSchema, input);
        assertHostAllowed(data.host, networkOf(rt), 'host');
        const before = await readSettings(s.db, s.organizationId);
        const moved =
          before &&
          (before.host.toLowerCase() !== data.host.toLowerCase() ||
            before.port !== data.port ||
            (before.use_tls !== false) !== data.useTls);
        if (moved && before.password_encrypted && data.password === undefined) {
          // The stored password never follows the settings to another server: give it again (or null).
          throw secretReentryRequired(
            'Changing the SMTP host, port or TLS needs the password again (or null to remove it): the stored password is never sent to a new server.',
            'password',
          );
        }
        let sealed: string | null | undefined;
        if (typeof data.password === 'string') {
          if (!rt.secretBox) throw noKey();
          sealed = rt.secretBox.encrypt(data.password, passwordContext(s.organizationId));
        } else {
          sealed = data.password;
        }
        const values = {
          host: data.host,
          port: data.port,
          username: data.username || null,
          from_email: data.fromEmail,
          from_name: data.fromName || null,
          use_tls: data.useTls,
          is_active: data.isActive,
          is_verified: false,
          ...(sealed !== undefined ? { password_encrypted: sealed } : {}),
          updated_at: s.now,
        };
        const row = await s.db
          .insertInto('smtp_settings')
          .values({ organization_id: s.organizationId, ...values, created_at: s.now })
          .onConflict((oc) => oc.column('organization_id').doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: before ? 'smtp.update' : 'smtp.create',
          resource: 'smtp_settings',
          resourceId: row.id,
          details: {
            ...summarizeChange(auditView(before), auditView(row)),
            authChanged:
              sealed !== undefined && (sealed !== null || Boolean(before?.password_encrypted)),
          },
        });
        return toSmtpConfig(row, rt.secretBox);
      }),

    delete: (options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        assertAdministrator(s.principal, 'security:write', 'deleting the SMTP settings');
        const row = await s.db
          .deleteFrom('smtp_settings')
          .where('organization_id', '=', s.organizationId)
          .returningAll()
          .executeTakeFirst();
        if (!row) return false;
        await s.audit({
          action: 'smtp.delete',
          resource: 'smtp_settings',
          resourceId: row.id,
          details: summarizeChange(auditView(row), null),
        });
        return true;
      }),

    sendTest: (to, options) =>
      rt.external('smtp.sendTest', options, {
        prepare: async (s) => {
          await s.authorize('security:write');
          const recipient = parseInput(sendTestSchema, to);
          const row = await readSettings(s.db, s.organizationId);
          if (!row) throw notConfigured();
          return { row, recipient };
        },
        call: async ({ row, recipient }) => {
          const mailer = smtpMailer(mailerOptions(row, rt.secretBox, networkOf(rt)));
          try {
            await mailer.send({
              to: recipient,
              subject: 'Helios SMTP test',
              text: `This is a test message from Helios, sent through ${row.host}:${row.port}. If you received it, email delivery works.`,
            });
          } finally {
            mailer.close();
          }
          return rt.clock.now();
        },
        record: async (s, sentAt, { row, recipient }) => {
          await s.authorize('security:write');
          // Only the settings that were tested become verified (not ones changed meanwhile).
          const updated = await s.db
            .updateTable('smtp_settings')
            .set({ is_verified: true })
            .where('id', '=', row.id)
            .where('updated_at', '=', row.updated_at ?? s.now)
            .executeTakeFirst();
          await s.audit({
            action: 'smtp.test',
            resource: 'smtp_settings',
            resourceId: row.id,
            details: {
              to: recipient,
              delivered: true,
              verified: Number(updated.numUpdatedRows) === 1,
            },
          });
          return { to: recipient, sentAt };
        },
      }),
  };
}
