/**
 * docs/errors.md, generated from the error registries: every code with its kind, its HTTP status
 * (the server's one kind -> status table) and its meaning. The test error-registries.test.ts fails
 * when the file is out of date; `UPDATE_DOCS=1` rewrites it.
 */
import { type ErrorCodeEntry, entriesOf, type HeliosErrorKind, listErrorCodes } from '@helios/core';
import { STATUS_OF_KIND } from './problem';
import { PROBLEM_STATUS_OF_CODE, SERVER_ERRORS } from './server.errors';

/** Every code the SDK and the server define, by area (the server's own last). */
export function allErrorCodes(): Array<ErrorCodeEntry & { area: string }> {
  return [
    ...listErrorCodes(),
    ...entriesOf(SERVER_ERRORS).map((entry) => ({ ...entry, area: 'server' })),
  ];
}

const AREA_TITLES: Record<string, string> = {
  core: 'Validation, configuration and internal',
  policy: 'Policy (who may do what)',
  organizations: 'Organization, settings, modules, feature flags, labels',
  users: 'Users',
  people: 'People directory and profiles',
  directory: 'Directory master data',
  groups: 'User groups, access groups, workspaces',
  auth: 'Sign-in, credentials, API keys, invitations, security events, SSO, two-factor',
  audit: 'Audit trail',
  operations: 'SMTP and mail',
  googleWorkspace: 'Google Workspace',
  microsoft365: 'Microsoft 365',
  sync: 'Directory sync',
  notifications: 'Email templates and notifications',
  shared: 'Secrets, network guard, mail sending',
  repositories: 'Table repositories (`helios.repos`)',
  database: 'Database, installer, unique constraints of domains to come',
  server: 'Reference server',
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The text of docs/errors.md. */
export function renderErrorCodesMarkdown(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from the error registries (`<domain>.errors.ts`) by packages/server/src/error-docs.ts;',
    '     do not edit by hand: run `UPDATE_DOCS=1 npx vitest run packages/server/src/error-registries.test.ts`. -->',
    '',
    'Every failure a caller can act on is a `HeliosError` with a `kind` and a `code`. The codes are',
    'stable API: they are never renamed. Each domain defines its codes once, with their kind and message,',
    'in its registry (`USERS_ERRORS`, `GOOGLE_ERRORS`, ...; all exported from `@helios/core`, and listed by',
    '`listErrorCodes()`); the reference server answers with `application/problem+json` whose status',
    'comes from the kind:',
    '',
    '| Kind | HTTP status |',
    '| --- | --- |',
    ...(Object.entries(STATUS_OF_KIND) as Array<[HeliosErrorKind, number]>).map(
      ([kind, status]) => `| \`${kind}\` | ${status} |`,
    ),
    '',
  ];
  const codes = allErrorCodes();
  for (const area of [...new Set(codes.map((c) => c.area))]) {
    lines.push(
      `## ${AREA_TITLES[area] ?? area}`,
      '',
      '| Code | Kind | HTTP | Meaning |',
      '| --- | --- | --- | --- |',
    );
    for (const entry of codes.filter((c) => c.area === area)) {
      const status = PROBLEM_STATUS_OF_CODE[entry.code] ?? String(STATUS_OF_KIND[entry.kind]);
      lines.push(`| \`${entry.code}\` | ${entry.kind} | ${status} | ${cell(entry.summary)} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
