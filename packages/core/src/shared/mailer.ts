/**
 * The mailer interface: how Helios sends email (invitations, password resets). The SDK never sends
 * mail inside a database transaction: messages are sent after the change commits.
 */

/** One email. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Defaults to the configured sender. */
  from?: string;
}

/** Sends email. */
export interface Mailer {
  /** Sends one message; rejects when it could not be handed over. */
  send(message: MailMessage): Promise<void>;
}

/** A mailer that keeps messages in memory (tests, development). */
export interface RecordingMailer extends Mailer {
  readonly messages: MailMessage[];
  /** The last message sent to `to`, if any. */
  lastTo(to: string): MailMessage | undefined;
  /** Forgets every recorded message. */
  clear(): void;
}

/**
 * A mailer that records messages instead of sending them.
 *
 * @example
 * ```ts
 * const mailer = recordingMailer();
 * const helios = await createHelios({ embedded: {}, mailer });
 * ```
 */
export function recordingMailer(): RecordingMailer {
  const messages: MailMessage[] = [];
  return {
    messages,
    async send(message) {
      messages.push({ ...message });
    },
    lastTo: (to) => [...messages].reverse().find((m) => m.to.toLowerCase() === to.toLowerCase()),
    clear: () => {
      messages.length = 0;
    },
  };
}
