import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import {
  createTestHelios,
  createTestUser,
  startTrafficRecorder,
  type TestHelios,
} from '@helios/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHelios } from '../../helios';
import type { ServiceRuntime } from '../../runtime';
import { recordingMailer } from '../../shared/mailer';
import { testRuntime } from '../../test-runtime';
import { createSmtpService, resolveMailer } from './smtp.service';

/** One message received by the test SMTP server. */
interface Received {
  auth: { user: string; pass: string } | null;
  mailFrom: string;
  rcptTo: string[];
  data: string;
}

/**
 * A tiny SMTP server on 127.0.0.1: EHLO, AUTH PLAIN (one account), MAIL, RCPT, DATA, RSET, QUIT.
 * It offers no STARTTLS.
 */
async function startSmtpServer(account: { user: string; pass: string }) {
  const received: Received[] = [];
  const authAttempts: Array<{ user: string; pass: string }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let auth: Received['auth'] = null;
    let current: Received | null = null;
    let inData = false;
    let buffer = '';
    const handle = (line: string) => {
      if (inData) {
        if (line === '.') {
          inData = false;
          received.push(current!);
          current = null;
          reply('250 2.0.0 Ok: queued');
        } else {
          current!.data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
        }
        return;
      }
      const [verb = '', ...rest] = line.split(' ');
      const arg = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO':
          socket.write('250-test.smtp.local\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n');
          return;
        case 'HELO':
          reply('250 test.smtp.local');
          return;
        case 'AUTH': {
          const [method, initial] = arg.split(' ');
          if (method?.toUpperCase() !== 'PLAIN' || !initial)
            return reply('504 5.5.4 Unrecognized authentication type');
          const [, user = '', pass = ''] = Buffer.from(initial, 'base64')
            .toString('utf8')
            .split('\0');
          authAttempts.push({ user, pass });
          if (user === account.user && pass === account.pass) {
            auth = { user, pass };
            return reply('235 2.7.0 Authentication successful');
          }
          return reply('535 5.7.8 Authentication credentials invalid');
        }
        case 'MAIL':
          if (!auth) return reply('530 5.7.0 Authentication required');
          current = { auth, mailFrom: /<([^>]*)>/.exec(arg)?.[1] ?? '', rcptTo: [], data: '' };
          return reply('250 2.1.0 Ok');
        case 'RCPT':
          current?.rcptTo.push(/<([^>]*)>/.exec(arg)?.[1] ?? '');
          return reply('250 2.1.5 Ok');
        case 'DATA':
          inData = true;
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          current = null;
          return reply('250 2.0.0 Ok');
        case 'NOOP':
          return reply('250 2.0.0 Ok');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        default:
          reply('502 5.5.2 Command not recognized');
      }
    };
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let index = buffer.indexOf('\r\n');
      while (index >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        handle(line);
        index = buffer.indexOf('\r\n');
      }
    });
    reply('220 test.smtp.local ESMTP');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    received,
    authAttempts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The message body with quoted-printable soft breaks and escapes undone. */
const decoded = (data: string) =>
  data
    .replace(/=\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

const PASSWORD = 'smtp-secret-Pa55word';
let t: TestHelios;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  // The test SMTP server listens on 127.0.0.1: a private target, allowed for this instance.
  t = await createTestHelios({ network: { allowPrivateTargets: true } });
  smtp = await startSmtpServer({ user: 'portal', pass: PASSWORD });
});
afterAll(async () => {
  await smtp?.close();
  await t.destroy();
});
afterEach(() => {
  smtp.received.length = 0;
  smtp.authAttempts.length = 0;
});

const rowCount = async () =>
  (
    await t.helios.db
      .selectFrom('smtp_settings')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;
const auditCount = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 100 })).items.length;
const settings = (overrides: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port: smtp.port,
  username: 'portal',
  password: PASSWORD,
  fromEmail: 'portal@acme.test',
  fromName: 'Acme Portal',
  useTls: false,
  ...overrides,
});

function runtimeOn(mailer: ReturnType<typeof recordingMailer> | null): ServiceRuntime {
  return testRuntime(t, undefined, { mailer });
}

describe('SMTP settings', () => {
  it('reports nothing configured: find returns null, get throws SMTP.NOT_CONFIGURED', async () => {
    await expect(t.asAdmin.smtp.find()).resolves.toBeNull();
    await expect(t.asAdmin.smtp.get()).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'SMTP.NOT_CONFIGURED',
    });
    await expect(t.asAdmin.smtp.delete()).resolves.toBe(false);
  });

  it('stores the password as ciphertext and never returns it, only that it is set and its key fingerprint', async () => {
    const saved = await t.asAdmin.smtp.set(settings({ port: 2525 }));
    expect(saved).toMatchObject({
      host: '127.0.0.1',
      port: 2525,
      username: 'portal',
      fromEmail: 'portal@acme.test',
      fromName: 'Acme Portal',
      useTls: false,
      isActive: true,
      isVerified: false,
      passwordConfigured: true,
      passwordKeyId: t.helios.secretBox!.keyId,
    });
    expect(saved).not.toHaveProperty('password');
    expect(JSON.stringify(saved)).not.toContain(PASSWORD);
    const got = await t.asAdmin.smtp.get();
    expect(got).toEqual(saved);
    const row = await t.helios.db.selectFrom('smtp_settings').selectAll().executeTakeFirstOrThrow();
    expect(row.password_encrypted).not.toContain(PASSWORD);
    expect(t.helios.secretBox!.isCiphertext(row.password_encrypted!)).toBe(true);
    const audit = await t.asAdmin.audit.list({ action: 'smtp.create' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]!.details).toMatchObject({
      host: '127.0.0.1',
      port: 2525,
      authChanged: true,
    });
    expect(JSON.stringify(audit.items)).not.toContain(PASSWORD);
  });

  it('keeps the stored password when none is given, and removes it with null', async () => {
    const before = await t.helios.db
      .selectFrom('smtp_settings')
      .select('password_encrypted')
      .executeTakeFirstOrThrow();
    const kept = await t.asAdmin.smtp.set(
      settings({ port: 2525, fromName: 'Acme', password: undefined }),
    );
    expect(kept.passwordConfigured).toBe(true);
    const after = await t.helios.db
      .selectFrom('smtp_settings')
      .select('password_encrypted')
      .executeTakeFirstOrThrow();
    expect(after.password_encrypted).toBe(before.password_encrypted);
    const update = (await t.asAdmin.audit.list({ action: 'smtp.update' })).items[0]!;
    expect(update.details).toMatchObject({
      from_name: { from: 'Acme Portal', to: 'Acme' },
      authChanged: false,
    });
    const removed = await t.asAdmin.smtp.set(settings({ password: null, username: null }));
    expect(removed).toMatchObject({
      passwordConfigured: false,
      passwordKeyId: null,
      username: null,
    });
    expect(await rowCount()).toBe('1');
  });

  it('rejects invalid settings with VALIDATION.FAILED and writes nothing', async () => {
    const before = await t.helios.db
      .selectFrom('smtp_settings')
      .selectAll()
      .executeTakeFirstOrThrow();
    const updates = await auditCount('smtp.update');
    for (const bad of [
      settings({ host: '' }),
      settings({ host: 'smtp acme com' }),
      settings({ port: 0 }),
      settings({ port: 70000 }),
      settings({ port: '25' }),
      settings({ fromEmail: 'not-an-email' }),
      settings({ password: '' }),
      settings({ useTls: 'yes' }),
      settings({ extra: true }),
      null,
    ]) {
      await expect(t.asAdmin.smtp.set(bad as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(
      await t.helios.db.selectFrom('smtp_settings').selectAll().executeTakeFirstOrThrow(),
    ).toEqual(before);
    expect(await auditCount('smtp.update')).toBe(updates);
  });

  it('is for admins only: managers, users and keys without security scopes are refused, nothing written', async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const user = await createTestUser(t.helios);
    const before = await t.helios.db
      .selectFrom('smtp_settings')
      .selectAll()
      .executeTakeFirstOrThrow();
    for (const scope of [
      t.helios.as({ type: 'user', userId: manager.id }),
      t.helios.as({ type: 'user', userId: user.id }),
      t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:write', 'organization:write'] }),
    ]) {
      await expect(scope.smtp.find()).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
      await expect(scope.smtp.set(settings())).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
      await expect(scope.smtp.delete()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(scope.smtp.sendTest('x@acme.test')).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    }
    const reader = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:read'] });
    await expect(reader.smtp.get()).resolves.toMatchObject({ host: '127.0.0.1' });
    await expect(reader.smtp.set(settings())).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(t.helios.smtp.get()).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    await expect(t.helios.smtp.set(settings())).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    expect(
      await t.helios.db.selectFrom('smtp_settings').selectAll().executeTakeFirstOrThrow(),
    ).toEqual(before);
    expect(smtp.received).toHaveLength(0);
  });

  it('needs an administrator to change or delete the settings: security:write is not enough, nothing written', async () => {
    const before = await t.helios.db
      .selectFrom('smtp_settings')
      .selectAll()
      .executeTakeFirstOrThrow();
    const writer = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:write'] });
    await expect(writer.smtp.set(settings({ host: 'mail.evil.test' }))).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await expect(writer.smtp.delete()).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    expect(
      await t.helios.db.selectFrom('smtp_settings').selectAll().executeTakeFirstOrThrow(),
    ).toEqual(before);
    await expect(writer.smtp.get()).resolves.toMatchObject({ host: before.host });
  });

  it('refuses a password without an encryption key with SECRETS.NO_KEY, writing nothing', async () => {
    const keyless = await createHelios({ db: t.helios.db, network: { allowPrivateTargets: true } });
    try {
      const before = await t.helios.db
        .selectFrom('smtp_settings')
        .selectAll()
        .executeTakeFirstOrThrow();
      await expect(
        keyless.as({ type: 'user', userId: t.admin!.id }).smtp.set(settings()),
      ).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'SECRETS.NO_KEY',
      });
      expect(
        await t.helios.db.selectFrom('smtp_settings').selectAll().executeTakeFirstOrThrow(),
      ).toEqual(before);
    } finally {
      await keyless.close();
    }
  });
});

describe('sending through SMTP', () => {
  it('sends a test message through the configured server, authenticating with the stored password, and marks it verified', async () => {
    await t.asAdmin.smtp.set(settings());
    const result = await t.asAdmin.smtp.sendTest('Ada@Example.test');
    expect(result.to).toBe('ada@example.test');
    expect(smtp.authAttempts).toEqual([{ user: 'portal', pass: PASSWORD }]);
    expect(smtp.received).toHaveLength(1);
    const message = smtp.received[0]!;
    expect(message.mailFrom).toBe('portal@acme.test');
    expect(message.rcptTo).toEqual(['ada@example.test']);
    expect(message.data).toMatch(/^From: "?Acme Portal"? <portal@acme\.test>$/m);
    expect(message.data).toMatch(/^Subject: Helios SMTP test$/m);
    expect((await t.asAdmin.smtp.get()).isVerified).toBe(true);
    const audit = await t.asAdmin.audit.list({ action: 'smtp.test' });
    expect(audit.items[0]!.details).toMatchObject({
      to: 'ada@example.test',
      delivered: true,
      verified: true,
    });
  });

  it('fails with EXTERNAL_SERVICE SMTP.SEND_FAILED when the server refuses the credentials', async () => {
    await t.asAdmin.smtp.set(settings({ password: 'the wrong password' }));
    const error = await t.asAdmin.smtp.sendTest('ada@example.test').catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'SMTP.SEND_FAILED',
      retryable: true,
    });
    expect((error as Error).message).toContain(`127.0.0.1:${smtp.port}`);
    expect((error as Error).message).not.toContain('the wrong password');
    expect(smtp.authAttempts).toEqual([{ user: 'portal', pass: 'the wrong password' }]);
    expect(smtp.received).toHaveLength(0);
    expect((await t.asAdmin.smtp.get()).isVerified).toBe(false);
  });

  it('requires STARTTLS when useTls is on, and fails clearly against a server without it', async () => {
    await t.asAdmin.smtp.set(settings({ useTls: true }));
    await expect(t.asAdmin.smtp.sendTest('ada@example.test')).rejects.toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'SMTP.SEND_FAILED',
    });
    expect(smtp.authAttempts).toHaveLength(0);
    expect(smtp.received).toHaveLength(0);
  });

  it('fails with SMTP.SEND_FAILED when nothing listens on the port', async () => {
    const closed = await startSmtpServer({ user: 'x', pass: 'y' });
    await closed.close();
    await t.asAdmin.smtp.set(settings({ port: closed.port }));
    await expect(t.asAdmin.smtp.sendTest('ada@example.test')).rejects.toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'SMTP.SEND_FAILED',
    });
  });

  it('never sends inside a transaction', async () => {
    await t.asAdmin.smtp.set(settings());
    await expect(
      t.asAdmin.transaction((tx) => tx.smtp.sendTest('ada@example.test')),
    ).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'EXTERNAL.IN_TRANSACTION',
    });
    expect(smtp.received).toHaveLength(0);
  });

  it('validates the recipient and needs settings', async () => {
    await expect(t.asAdmin.smtp.sendTest('nobody')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    await expect(t.asAdmin.smtp.delete()).resolves.toBe(true);
    await expect(t.asAdmin.smtp.sendTest('ada@example.test')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'SMTP.NOT_CONFIGURED',
    });
    const deleted = await t.asAdmin.audit.list({ action: 'smtp.delete' });
    expect(deleted.items).toHaveLength(1);
    expect(smtp.received).toHaveLength(0);
  });
});

describe('where the stored password may go', () => {
  const strict = () =>
    createSmtpService(
      testRuntime(
        t,
        { type: 'user', userId: t.admin!.id },
        { network: { allowPrivateTargets: false } },
      ),
    );
  const storedRow = () =>
    t.helios.db.selectFrom('smtp_settings').selectAll().executeTakeFirstOrThrow();

  it('refuses a new host, port or TLS that keeps the stored password with SECRETS.REENTRY_REQUIRED: the password never reaches the new server', async () => {
    const trap = await startTrafficRecorder({ protocol: 'smtp' });
    try {
      await t.asAdmin.smtp.set(settings());
      const before = await storedRow();
      const updates = await auditCount('smtp.update');
      for (const change of [
        { port: trap.port },
        { host: 'localhost', port: trap.port },
        { useTls: true },
      ]) {
        await expect(
          t.asAdmin.smtp.set(settings({ ...change, password: undefined })),
        ).rejects.toMatchObject({
          kind: 'INVALID_INPUT',
          code: 'SECRETS.REENTRY_REQUIRED',
          details: { issues: [{ path: 'password' }] },
        });
      }
      expect(await storedRow()).toEqual(before);
      expect(await auditCount('smtp.update')).toBe(updates);
      await t.asAdmin.smtp.sendTest('ada@example.test');
      expect(smtp.authAttempts).toEqual([{ user: 'portal', pass: PASSWORD }]);
      // With the password removed (or given again) the move is taken; the old password does not follow.
      await t.asAdmin.smtp.set(settings({ port: trap.port, password: null }));
      await t.asAdmin.smtp.sendTest('ada@example.test').catch(() => undefined);
      expect(trap.connections).toBe(1);
      expect(trap.sawSecret(PASSWORD)).toBe(false);
    } finally {
      await trap.close();
    }
  });

  it('refuses link-local, metadata, unspecified and multicast hosts with NETWORK.TARGET_NOT_ALLOWED, even with private targets allowed', async () => {
    await t.asAdmin.smtp.set(settings());
    const before = await storedRow();
    for (const host of [
      '169.254.169.254',
      'metadata.google.internal',
      'Metadata.Google.Internal',
      '[fd00:ec2::254]',
      '[::ffff:169.254.169.254]',
      '[fe80::1]',
      '100.100.100.200',
      '0.0.0.0',
      '224.0.0.1',
    ]) {
      await expect(t.asAdmin.smtp.set(settings({ host }))).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'NETWORK.TARGET_NOT_ALLOWED',
      });
    }
    expect(await storedRow()).toEqual(before);
  });

  it('refuses loopback and private hosts unless private targets are allowed, when saving and again when connecting', async () => {
    for (const host of [
      '127.0.0.1',
      'localhost',
      '10.1.2.3',
      '192.168.1.10',
      '172.16.0.1',
      '[::1]',
      '[fd12::1]',
    ]) {
      await expect(strict().set(settings({ host }))).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'NETWORK.TARGET_NOT_ALLOWED',
      });
    }
    // Stored while allowed (or resolving elsewhere then): the address is checked again at connect time.
    await t.asAdmin.smtp.set(settings());
    await expect(strict().sendTest('ada@example.test')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'NETWORK.TARGET_NOT_ALLOWED',
    });
    const mailer = await resolveMailer(
      testRuntime(t, undefined, { mailer: null, network: { allowPrivateTargets: false } }),
    );
    await expect(
      mailer.send({ to: 'bo@example.test', subject: 'Hi', text: 'Hello' }),
    ).rejects.toMatchObject({ code: 'NETWORK.TARGET_NOT_ALLOWED' });
    expect(smtp.authAttempts).toHaveLength(0);
    expect(smtp.received).toHaveLength(0);
    await t.asAdmin.smtp.delete();
  });
});

describe('resolveMailer', () => {
  it('prefers the mailer given to createHelios', async () => {
    const mailer = recordingMailer();
    await expect(resolveMailer(runtimeOn(mailer))).resolves.toBe(mailer);
  });

  it('throws MAIL.NOT_CONFIGURED without a mailer or SMTP settings', async () => {
    await expect(resolveMailer(runtimeOn(null))).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'MAIL.NOT_CONFIGURED',
    });
  });

  it('builds an SMTP mailer from the settings, decrypting the password', async () => {
    await t.asAdmin.smtp.set(settings());
    const mailer = await resolveMailer(runtimeOn(null));
    await mailer.send({ to: 'bo@example.test', subject: 'Hi', text: 'Hello Bo' });
    expect(smtp.authAttempts).toEqual([{ user: 'portal', pass: PASSWORD }]);
    expect(smtp.received[0]).toMatchObject({
      mailFrom: 'portal@acme.test',
      rcptTo: ['bo@example.test'],
    });
    expect(smtp.received[0]!.data).toContain('Hello Bo');
  });

  it('ignores inactive settings', async () => {
    await t.asAdmin.smtp.set(settings({ isActive: false }));
    await expect(resolveMailer(runtimeOn(null))).rejects.toMatchObject({
      code: 'MAIL.NOT_CONFIGURED',
    });
  });

  it('mails invitations through the SMTP settings when createHelios has no mailer', async () => {
    await t.asAdmin.smtp.set(settings());
    await t.asAdmin.organizations.settings.set({
      key: 'portal.public_url',
      value: 'https://portal.acme.test/',
    });
    const staged = await createTestUser(t.helios, {
      user_status: 'staged',
      is_active: false,
      email: 'staged.smtp@acme.test',
    });
    const result = await t.asAdmin.invitations.invite(staged.id, { sendTo: 'staged@home.test' });
    expect(result).toMatchObject({ sentTo: 'staged@home.test' });
    expect(result).not.toHaveProperty('link');
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toMatchObject({
      mailFrom: 'portal@acme.test',
      rcptTo: ['staged@home.test'],
      auth: { user: 'portal', pass: PASSWORD },
    });
    const token = /setup-password\?token=([A-Za-z0-9_-]+)/.exec(
      decoded(smtp.received[0]!.data),
    )?.[1];
    expect(token).toHaveLength(43);
    await expect(t.helios.invitations.verifyToken(token!)).resolves.toMatchObject({
      valid: true,
      email: 'staged.smtp@acme.test',
    });
  });
});
