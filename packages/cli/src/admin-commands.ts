import { createWriteStream } from 'node:fs';
import type { Helios } from '@helios/core';
import type { Command } from 'commander';
import { type CommonOptions, withCommonOptions, withHelios } from './open-helios';
import { EXIT, type Output } from './output';

/** Opens Helios, installing the schema on an empty PostgreSQL database. */
const withInstalled = (out: Output, opts: CommonOptions, fn: (helios: Helios) => Promise<number>) =>
  withHelios(out, opts, fn, { install: true });

/** `helios admin create`, `helios users list|export` and `helios audit head|verify`. */
export function registerAdminCommands(
  program: Command,
  makeOutput: (json: boolean) => Output,
): void {
  const admin = program.command('admin').description('portal administrators');
  withCommonOptions(
    admin
      .command('create')
      .description(
        'create an admin (with --organization-name and --organization-domain, also the organization on first run)',
      )
      .requiredOption('--email <email>', "the admin's email")
      .requiredOption('--first-name <name>', 'first name')
      .requiredOption('--last-name <name>', 'last name')
      .option(
        '--password <password>',
        'password (default: $HELIOS_ADMIN_PASSWORD; without one, invite the admin instead)',
      )
      .option('--organization-name <name>', 'first run only: the organization to create')
      .option('--organization-domain <domain>', 'first run only: its domain'),
  ).action(
    async (
      opts: CommonOptions & {
        email: string;
        firstName: string;
        lastName: string;
        password?: string;
        organizationName?: string;
        organizationDomain?: string;
      },
    ) => {
      const out = makeOutput(Boolean(opts.json));
      const password = opts.password ?? process.env.HELIOS_ADMIN_PASSWORD;
      await withInstalled(out, opts, async (helios) => {
        const status = await helios.organizations.setupStatus();
        if (!status.hasOrganization) {
          if (!opts.organizationName || !opts.organizationDomain) {
            out.error(
              Object.assign(
                new Error(
                  'No organization yet: pass --organization-name and --organization-domain to set it up with this admin',
                ),
                {
                  code: 'ORGANIZATIONS.NOT_SET_UP',
                },
              ),
            );
            return EXIT.failed;
          }
          const result = await helios.organizations.setup({
            organizationName: opts.organizationName,
            organizationDomain: opts.organizationDomain,
            admin: {
              email: opts.email,
              firstName: opts.firstName,
              lastName: opts.lastName,
              ...(password ? { password } : {}),
            },
          });
          out.result(
            {
              organization: result.organization,
              admin: result.admin,
              passwordSet: Boolean(password),
            },
            `Set up ${result.organization.name} with admin ${result.admin.email}${password ? '' : ' (no password: invite them to set one)'}`,
          );
          return EXIT.ok;
        }
        const system = helios.as({ type: 'system', name: 'cli' });
        const user = await system.transaction(async (tx) => {
          const created = await tx.users.create({
            email: opts.email,
            firstName: opts.firstName,
            lastName: opts.lastName,
            role: 'admin',
          });
          if (password) await tx.credentials.setPassword(created.id, password);
          return created;
        });
        out.result(
          { admin: user, passwordSet: Boolean(password) },
          `Created admin ${user.email} (${user.id})${password ? '' : ' without a password'}`,
        );
        return EXIT.ok;
      });
    },
  );

  const users = program.command('users').description('portal users');
  withCommonOptions(
    users
      .command('list')
      .description(
        'list users (as the system), sorted by last name; filters: --status, --role, --q',
      )
      .option(
        '--status <status>',
        'a state: staged, invited, active, suspended, blocked, deleted or all',
      )
      .option('--role <role>', 'admin, manager or user')
      .option('--q <text>', 'free text (name, email)')
      .option('--limit <n>', 'at most this many (default 50, max 500)', '50'),
  ).action(
    async (opts: CommonOptions & { status?: string; role?: string; q?: string; limit: string }) => {
      const out = makeOutput(Boolean(opts.json));
      await withInstalled(out, opts, async (helios) => {
        const page = await helios.as({ type: 'system', name: 'cli' }).users.list({
          ...(opts.status ? { status: opts.status as never } : {}),
          ...(opts.role ? { role: opts.role as never } : {}),
          ...(opts.q ? { q: opts.q } : {}),
          limit: Number(opts.limit),
        });
        const lines = page.items.map(
          (u) =>
            `${u.email.padEnd(40)} ${`${u.firstName} ${u.lastName}`.padEnd(30)} ${u.role.padEnd(8)} ${u.status}`,
        );
        out.result(
          page,
          [
            `${page.items.length} user(s)${page.nextCursor ? ' (more: narrow the filter or raise --limit)' : ''}`,
            ...lines,
          ].join('\n'),
        );
        return EXIT.ok;
      });
    },
  );
  withCommonOptions(
    users
      .command('export')
      .description('export users as CSV or JSON, streamed (as the system)')
      .option('--format <format>', 'csv or json', 'csv')
      .option('--output <file>', 'write to this file (default: standard output)')
      .option('--status <status>', 'a state, or all (default: every state but deleted)'),
  ).action(async (opts: CommonOptions & { format: string; output?: string; status?: string }) => {
    const out = makeOutput(Boolean(opts.json));
    if (opts.format !== 'csv' && opts.format !== 'json') {
      out.error(Object.assign(new Error('--format must be csv or json'), { code: 'CLI.USAGE' }));
      process.exitCode = EXIT.usage;
      return;
    }
    await withInstalled(out, opts, async (helios) => {
      const system = helios.as({ type: 'system', name: 'cli' });
      const filter = opts.status ? { status: opts.status as never } : {};
      const total = await system.users.count(filter);
      const chunks =
        opts.format === 'csv' ? system.users.exportCsv(filter) : system.users.exportJson(filter);
      const target = opts.output ? createWriteStream(opts.output) : process.stdout;
      let bytes = 0;
      let done = 0;
      for await (const chunk of chunks) {
        bytes += Buffer.byteLength(chunk);
        done +=
          opts.format === 'csv'
            ? (chunk.match(/\r\n/g)?.length ?? 0)
            : (chunk.match(/"id":/g)?.length ?? 0);
        if (!target.write(chunk))
          await new Promise<void>((resolve) =>
            (target as NodeJS.WritableStream).once('drain', () => resolve()),
          );
        if (opts.output) out.progress('exporting users', Math.min(done, total), total);
      }
      if (opts.output) {
        await new Promise<void>((resolve, reject) =>
          (target as ReturnType<typeof createWriteStream>).end((error?: Error | null) =>
            error ? reject(error) : resolve(),
          ),
        );
        out.result(
          { file: opts.output, users: total, bytes },
          `Exported ${total} user(s) to ${opts.output} (${bytes} bytes)`,
        );
      }
      return EXIT.ok;
    });
  });

  const audit = program
    .command('audit')
    .description('the audit trail: export its head, verify its hash chain');
  withCommonOptions(
    audit
      .command('head')
      .description(
        'print the head of the audit chain (`<sequence>:<hash>`): keep it outside the database, give it to `audit verify --head` later',
      ),
  ).action(async (opts: CommonOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withInstalled(out, opts, async (helios) => {
      const head = await helios.as({ type: 'system', name: 'cli' }).audit.head();
      out.result(head, head ? head.text : 'The audit chain is empty');
      return EXIT.ok;
    });
  });
  withCommonOptions(
    audit
      .command('verify')
      .description(
        'recompute the audit chain (exit 1 when it is broken); with --head, also check it still holds that head',
      )
      .option(
        '--head <head>',
        'a head printed earlier by `helios audit head` (`<sequence>:<hash>`)',
      ),
  ).action(async (opts: CommonOptions & { head?: string }) => {
    const out = makeOutput(Boolean(opts.json));
    await withInstalled(out, opts, async (helios) => {
      const result = await helios
        .as({ type: 'system', name: 'cli' })
        .audit.verifyChain(opts.head ? { head: opts.head } : {});
      const broken = result.firstBroken;
      out.result(
        result,
        broken
          ? `Audit chain BROKEN at sequence ${broken.sequence}: ${broken.reason} (${result.checked} row(s) verified before it)`
          : `Audit chain verified: ${result.checked} row(s), ${result.keyed} keyed, head ${result.headSequence ?? '-'}:${result.headHash ?? '-'}`,
      );
      return result.ok ? EXIT.ok : EXIT.drift;
    });
  });
}
