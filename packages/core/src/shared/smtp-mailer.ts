/**
 * A Mailer that sends through an SMTP server (nodemailer). TLS: with `useTls` on port 465 the
 * connection is TLS from the start; on any other port STARTTLS is required (the send fails when
 * the server does not offer it); without `useTls` the connection stays plain (no STARTTLS).
 */
import { createTransport } from 'nodemailer';
import { type HeliosError, isHeliosError } from '../errors';
import type { Mailer, MailMessage } from './mailer';
import { type NetworkOptions, resolveAllowedHost } from './outbound-guard';
import { SHARED_ERRORS } from './shared.errors';

/** Where and how to send. */
export interface SmtpMailerOptions {
  host: string;
  port: number;
  /** The AUTH user; without it no AUTH is attempted. */
  username?: string | null;
  /** The AUTH password (plaintext, decrypted by the caller). */
  password?: string | null;
  /** The sender address used when a message has no `from`. */
  fromEmail: string;
  /** The sender's display name. */
  fromName?: string | null;
  /** TLS on 465, STARTTLS required elsewhere (default true). */
  useTls?: boolean;
  /** Connection, greeting and socket timeout in milliseconds (default 15 000). */
  timeoutMs?: number;
  /** Accept self-signed or mismatched server certificates (default false: verify them). */
  allowInvalidCertificates?: boolean;
  /**
   * Check the host before connecting (for hosts that come from requests, such as the stored SMTP
   * settings): every address it resolves to must be allowed (see the outbound-address guard), and
   * the connection goes to the checked address. Without it the host is trusted (configuration).
   */
  network?: Required<NetworkOptions>;
}

/** An SMTP mailer. */
export interface SmtpMailer extends Mailer {
  /**
   * Sends one message.
   * @throws HeliosError EXTERNAL_SERVICE `SMTP.SEND_FAILED` (retryable) when the server refuses or cannot be reached
   */
  send(message: MailMessage): Promise<void>;
  /** Connects, authenticates and disconnects without sending. @throws HeliosError EXTERNAL_SERVICE `SMTP.SEND_FAILED` */
  verify(): Promise<void>;
  /** Closes idle connections. */
  close(): void;
}

/**
 * Builds a Mailer that sends through an SMTP server.
 *
 * @example
 * ```ts
 * const mailer = smtpMailer({ host: 'smtp.acme.com', port: 587, username: 'portal', password, fromEmail: 'portal@acme.com' });
 * const helios = await createHelios({ databaseUrl, mailer });
 * ```
 */
export function smtpMailer(options: SmtpMailerOptions): SmtpMailer {
  const useTls = options.useTls ?? true;
  const timeout = options.timeoutMs ?? 15_000;
  const makeTransport = (connectTo: string) =>
    createTransport({
      host: connectTo,
      port: options.port,
      secure: useTls && options.port === 465,
      requireTLS: useTls && options.port !== 465,
      ignoreTLS: !useTls,
      ...(options.username
        ? { auth: { user: options.username, pass: options.password ?? '' } }
        : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // The certificate is checked against the host name even when the connection goes to its checked address.
      tls: {
        rejectUnauthorized: options.allowInvalidCertificates !== true,
        servername: options.host,
      },
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  let transport: ReturnType<typeof makeTransport> | null = options.network
    ? null
    : makeTransport(options.host);
  const network = options.network;
  /** The transport; with `network`, built on the first use for an address the guard allowed (rebinding-safe). */
  const connect = async () => {
    if (!transport) {
      const [first] = await resolveAllowedHost(options.host, network!);
      transport = makeTransport(first!.address);
    }
    return transport;
  };
  const from = options.fromName
    ? { name: options.fromName, address: options.fromEmail }
    : options.fromEmail;
  const failed = (error: unknown): HeliosError => {
    if (isHeliosError(error)) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return SHARED_ERRORS.SMTP_SEND_FAILED(
      { host: options.host, port: options.port, reason },
      {
        cause: error,
        retryable: true,
        details: {
          host: options.host,
          port: options.port,
          ...(typeof (error as { code?: unknown })?.code === 'string'
            ? { smtpCode: (error as { code: string }).code }
            : {}),
          ...(typeof (error as { responseCode?: unknown })?.responseCode === 'number'
            ? { responseCode: (error as { responseCode: number }).responseCode }
            : {}),
        },
      },
    );
  };
  return {
    async send(message) {
      try {
        await (await connect()).sendMail({
          from: message.from ?? from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html !== undefined ? { html: message.html } : {}),
        });
      } catch (error) {
        throw failed(error);
      }
    },
    async verify() {
      try {
        await (await connect()).verify();
      } catch (error) {
        throw failed(error);
      }
    },
    close: () => transport?.close(),
  };
}
