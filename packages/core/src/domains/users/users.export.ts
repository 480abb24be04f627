/**
 * Streaming exports of users as CSV and JSON: read in keyset pages of 500 (constant memory), with
 * the filters and visibility of `list`. The CSV escaping is written here (RFC 4180 quoting plus
 * formula neutralization); it is a dozen lines and needs no dependency.
 */
import type { ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import type { User } from './users.model';
import { pageUsers, userVisibility } from './users.query';
import { userFilterSchema } from './users.schema';

/** Rows per page read by an export. */
export const EXPORT_PAGE_SIZE = 500;

/** The columns of the CSV export, in order: header and the `User` field each comes from. */
export const USER_CSV_COLUMNS: ReadonlyArray<readonly [header: string, field: keyof User]> = [
  ['id', 'id'],
  ['email', 'email'],
  ['first_name', 'firstName'],
  ['last_name', 'lastName'],
  ['role', 'role'],
  ['status', 'status'],
  ['job_title', 'jobTitle'],
  ['department', 'department'],
  ['department_id', 'departmentId'],
  ['location', 'location'],
  ['location_id', 'locationId'],
  ['cost_center', 'costCenter'],
  ['cost_center_id', 'costCenterId'],
  ['manager_id', 'managerId'],
  ['employee_id', 'employeeId'],
  ['employee_type', 'employeeType'],
  ['user_type', 'userType'],
  ['start_date', 'startDate'],
  ['end_date', 'endDate'],
  ['mobile_phone', 'mobilePhone'],
  ['work_phone', 'workPhone'],
  ['work_phone_extension', 'workPhoneExtension'],
  ['timezone', 'timezone'],
  ['preferred_language', 'preferredLanguage'],
  ['bio', 'bio'],
  ['custom_fields', 'customFields'],
  ['created_at', 'createdAt'],
];

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/**
 * One CSV field: dates as ISO strings, objects as JSON, null as empty; a value starting with
 * `=`, `+`, `-`, `@` (or a tab or carriage return) gets a leading `'` so spreadsheets do not run
 * it as a formula; values with commas, quotes, line breaks or edge spaces are quoted with inner
 * quotes doubled.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'object')
    text = Object.keys(value).length === 0 ? '' : JSON.stringify(value);
  else text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record (without its line ending). */
export function csvRecord(values: readonly unknown[]): string {
  return values.map(csvField).join(',');
}

/** The pages of users matching `filter`, one read per page. */
async function* userPages(
  rt: ServiceRuntime,
  filter: unknown,
  options: CallOptions | undefined,
): AsyncGenerator<User[]> {
  let cursor: string | null = null;
  do {
    const page = await rt.read(options, async (s) => {
      const visibility = userVisibility(s, 'users:read');
      const data = parseInput(userFilterSchema, filter ?? {});
      return pageUsers(s, data, visibility, { limit: EXPORT_PAGE_SIZE, cursor });
    });
    cursor = page.nextCursor;
    yield page.items;
  } while (cursor);
}

/** CSV chunks: the header with the first page, then one chunk per page (CRLF line endings). */
export async function* exportUsersCsv(
  rt: ServiceRuntime,
  filter: unknown,
  options: CallOptions | undefined,
): AsyncGenerator<string> {
  let first = true;
  for await (const users of userPages(rt, filter, options)) {
    let chunk = first ? `${csvRecord(USER_CSV_COLUMNS.map(([header]) => header))}\r\n` : '';
    first = false;
    for (const user of users)
      chunk += `${csvRecord(USER_CSV_COLUMNS.map(([, field]) => user[field]))}\r\n`;
    if (chunk) yield chunk;
  }
}

/** JSON chunks forming one array of `User` objects. */
export async function* exportUsersJson(
  rt: ServiceRuntime,
  filter: unknown,
  options: CallOptions | undefined,
): AsyncGenerator<string> {
  let count = 0;
  for await (const users of userPages(rt, filter, options)) {
    let chunk = count === 0 ? '[' : '';
    for (const user of users) chunk += `${count++ === 0 ? '\n' : ',\n'}${JSON.stringify(user)}`;
    if (chunk) yield chunk;
  }
  yield count === 0 ? ']\n' : '\n]\n';
}
