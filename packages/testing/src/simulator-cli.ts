/**
 * `helios-simulator`: runs a simulator of @helios/testing as a standalone process, so a portal (the
 * reference server, `helios sync ...`) can be tried end to end without a real tenant.
 *
 *   helios-simulator google [--port 4100] [--domain example.test] [--users 200] [--groups 10]
 *     [--members-per-group 8] [--org-units 4] [--key-file .helios/simulator-google-key.json]
 *   helios-simulator microsoft [--port 4200] [--domain example.test] [--users 200] [--groups 10]
 *     [--members-per-group 8]
 *
 * It prints what to configure (Google: writes the generated service account key to the key file,
 * mode 600; Microsoft: prints the tenant id, client id and secret) and the environment to give the
 * server or the CLI, then serves until interrupted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startGoogleDirectorySimulator } from './simulators/google-directory';
import { startGraphSimulator } from './simulators/graph';

const USAGE = `Usage: helios-simulator google|microsoft [options]

Runs the Google Directory API simulator or the Microsoft Graph simulator on 127.0.0.1 until interrupted.

Options:
  --port <n>               port (default 4100 for google, 4200 for microsoft; 0 for any free port)
  --domain <domain>        primary domain (default example.test)
  --users <n>              generated users (default 200)
  --groups <n>             generated groups (default 10)
  --members-per-group <n>  members of each group (default 8)
  --org-units <n>          generated org units (google; default 4)
  --key-file <path>        where to write the service account key (google; default .helios/simulator-google-key.json)
  -h, --help               this help
`;

function count(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a whole number, got "${value}"`);
  return n;
}

/** Runs the command line; resolves with the exit code when it should exit (never while serving). */
export async function main(
  argv: readonly string[],
  out: Pick<Console, 'log' | 'error'> = console,
): Promise<number | null> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        domain: { type: 'string' },
        users: { type: 'string' },
        groups: { type: 'string' },
        'members-per-group': { type: 'string' },
        'org-units': { type: 'string' },
        'key-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    out.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.log(USAGE);
    return 0;
  }
  const kind = positionals[0];
  if ((kind !== 'google' && kind !== 'microsoft') || positionals.length !== 1) {
    out.error(USAGE);
    return 2;
  }
  if (kind === 'microsoft')
    return serveMicrosoft(values as Record<string, string | undefined>, out);
  let options: Parameters<typeof startGoogleDirectorySimulator>[0];
  try {
    options = {
      port: count(values.port as string | undefined, 'port', 4100),
      domain: (values.domain as string | undefined) ?? 'example.test',
      seed: {
        users: count(values.users as string | undefined, 'users', 200),
        groups: count(values.groups as string | undefined, 'groups', 10),
        membersPerGroup: count(
          values['members-per-group'] as string | undefined,
          'members-per-group',
          8,
        ),
        orgUnits: count(values['org-units'] as string | undefined, 'org-units', 4),
      },
    };
  } catch (error) {
    out.error((error as Error).message);
    return 2;
  }
  const sim = await startGoogleDirectorySimulator(options);
  const keyFile = resolve(
    (values['key-file'] as string | undefined) ?? '.helios/simulator-google-key.json',
  );
  mkdirSync(dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, `${JSON.stringify(sim.serviceAccountKey, null, 2)}\n`, { mode: 0o600 });
  out.log(`Google Directory simulator on ${sim.url} (${options.seed?.users} users, domain ${options.domain})
Service account key: ${keyFile}
Super admin to impersonate: ${sim.adminEmail}

Give the portal these (server or CLI):
  HELIOS_GOOGLE_API_ROOT=${sim.url}
  HELIOS_GOOGLE_TOKEN_URL=${sim.tokenUrl}

Then configure the credentials with that key, admin and domain (PUT /api/v1/integrations/google-workspace/credentials).
Ctrl-C stops it.`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return null;
}

async function serveMicrosoft(
  values: Record<string, string | undefined>,
  out: Pick<Console, 'log' | 'error'>,
): Promise<number | null> {
  let options: Parameters<typeof startGraphSimulator>[0];
  let port: number;
  try {
    port = count(values.port, 'port', 4200);
    options = {
      domain: values.domain ?? 'example.test',
      seed: {
        users: count(values.users, 'users', 200),
        groups: count(values.groups, 'groups', 10),
        membersPerGroup: count(values['members-per-group'], 'members-per-group', 8),
      },
      port,
    };
  } catch (error) {
    out.error((error as Error).message);
    return 2;
  }
  const sim = await startGraphSimulator(options);
  out.log(`Microsoft Graph simulator on ${sim.url} (${options.seed?.users} users, domain ${options.domain})
App registration to configure (PUT /api/v1/integrations/microsoft-365/credentials):
  tenantId      ${sim.tenantId}
  clientId      ${sim.clientId}
  clientSecret  ${sim.clientSecret}

Give the portal these (server or CLI):
  HELIOS_MICROSOFT_GRAPH_URL=${sim.url}
  HELIOS_MICROSOFT_LOGIN_URL=${sim.authorityHost}

Ctrl-C stops it.`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return null;
}
