/**
 * A listener on 127.0.0.1 that records every byte it receives: the "attacker-controlled" endpoint
 * of security tests that check a stored secret never leaves for a URL or host given in a request.
 * It answers just enough of HTTP (a JSON body) or SMTP (greeting, EHLO offering AUTH, accepting
 * everything) to draw out what a client would send next.
 */
import { createServer, type Socket } from 'node:net';

/** Options of `startTrafficRecorder`. */
export interface TrafficRecorderOptions {
  /** `http` (default): every request gets `200` with `body`; `smtp`: a permissive SMTP server. */
  protocol?: 'http' | 'smtp';
  /** The JSON body of HTTP answers (default `{}`); a function gets the recorder's URL. */
  body?: unknown | ((url: string) => unknown);
}

/** A running recorder. */
export interface TrafficRecorder {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** How many connections were accepted. */
  readonly connections: number;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** True when `secret` (or its base64 or URL-encoded form, as AUTH and Basic carry it) was received. */
  sawSecret(secret: string): boolean;
  /** Forgets what was received. */
  reset(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts a recorder on 127.0.0.1 (a random port).
 *
 * @example
 * ```ts
 * const trap = await startTrafficRecorder();
 * await app.request('/api/v1/…/test', { method: 'POST', body: JSON.stringify({ url: trap.url }) });
 * expect(trap.sawSecret(secret)).toBe(false);
 * ```
 */
export async function startTrafficRecorder(
  options: TrafficRecorderOptions = {},
): Promise<TrafficRecorder> {
  const protocol = options.protocol ?? 'http';
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let url = '';
  const httpAnswer = () => {
    const body = JSON.stringify(
      (typeof options.body === 'function'
        ? (options.body as (u: string) => unknown)(url)
        : options.body) ?? {},
    );
    return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
  };
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (protocol === 'smtp') socket.write('220 recorder ESMTP\r\n');
    let pending = '';
    let inData = false;
    let answered = false;
    let loginStep = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (protocol === 'http') {
        pending += chunk.toString('latin1');
        if (!answered && pending.includes('\r\n\r\n')) {
          answered = true;
          // Give the body a moment to arrive in the same exchange before answering.
          setTimeout(() => socket.end(httpAnswer()), 20);
        }
        return;
      }
      pending += chunk.toString('latin1');
      let index = pending.indexOf('\r\n');
      while (index >= 0) {
        const line = pending.slice(0, index);
        pending = pending.slice(index + 2);
        if (loginStep > 0) {
          // AUTH LOGIN: the user name, then the password (each base64).
          socket.write(loginStep === 1 ? '334 UGFzc3dvcmQ6\r\n' : '235 accepted\r\n');
          loginStep = loginStep === 1 ? 2 : 0;
        } else if (inData) {
          if (line === '.') {
            inData = false;
            socket.write('250 queued\r\n');
          }
        } else {
          const verb = line.split(' ')[0]!.toUpperCase();
          if (verb === 'EHLO') socket.write('250-recorder\r\n250 AUTH PLAIN LOGIN\r\n');
          else if (verb === 'AUTH' && /^AUTH LOGIN$/i.test(line)) {
            loginStep = 1;
            socket.write('334 VXNlcm5hbWU6\r\n');
          } else if (verb === 'AUTH') socket.write('235 accepted\r\n');
          else if (verb === 'DATA') {
            inData = true;
            socket.write('354 go on\r\n');
          } else if (verb === 'QUIT') socket.end('221 bye\r\n');
          else socket.write('250 ok\r\n');
        }
        index = pending.indexOf('\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  url = `http://127.0.0.1:${port}`;
  const received = () => Buffer.concat(chunks).toString('latin1');
  return {
    url,
    host: '127.0.0.1',
    port,
    get connections() {
      return connections;
    },
    received,
    sawSecret(secret) {
      const text = received();
      const forms = [
        secret,
        Buffer.from(secret).toString('base64'),
        encodeURIComponent(secret),
        new URLSearchParams({ s: secret }).toString().slice(2),
      ];
      if (forms.some((form) => text.includes(form))) return true;
      // Basic and AUTH PLAIN carry the secret inside a base64 blob with other text: decode every blob.
      for (const blob of text.match(/[A-Za-z0-9+/]{8,}={0,2}/g) ?? []) {
        const decoded = Buffer.from(blob, 'base64').toString('latin1');
        if (decoded.includes(secret) || decoded.includes(encodeURIComponent(secret))) return true;
      }
      return false;
    },
    reset() {
      chunks.length = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
