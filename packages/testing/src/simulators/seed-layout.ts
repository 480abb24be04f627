/**
 * Shared pieces of the directory simulators' seed data (Google Directory, Microsoft Graph): the
 * group memberships (group g holds a block of consecutive users, wrapping around, and every tenth
 * group also holds group g-1 in its last slot; computed from the indexes, never stored) and the
 * generated timestamps.
 */

/** The counts the layout depends on. */
export interface MembershipCounts {
  users: number;
  membersPerGroup: number;
}

/** Whether the last member slot of group g is the group g-1 (every tenth group nests the previous one). */
export function nestsPrevious(counts: MembershipCounts, g: number): boolean {
  return g % 10 === 0 && g > 1 && counts.membersPerGroup >= 2;
}

/** How many users group g holds. */
function userSlots(counts: MembershipCounts, g: number): number {
  return counts.membersPerGroup - (nestsPrevious(counts, g) ? 1 : 0);
}

/** Whether user i is a seeded direct member of group g (without building the members). */
export function seededGroupHasUser(counts: MembershipCounts, g: number, i: number): boolean {
  const n = counts.users;
  if (n === 0 || i < 1 || i > n) return false;
  const start = ((g - 1) * counts.membersPerGroup) % n;
  const offset = (((i - 1 - start) % n) + n) % n;
  return offset < userSlots(counts, g);
}

/** The indexes of the users of group g, in slot order. */
export function seededGroupUsers(counts: MembershipCounts, g: number): number[] {
  const out: number[] = [];
  const slots = userSlots(counts, g);
  for (let k = 0; k < slots; k++)
    out.push((((g - 1) * counts.membersPerGroup + k) % counts.users) + 1);
  return out;
}

const isoCache = new Map<number, string>();
/**
 * `Date#toISOString` for generated timestamps, memoized per day (the seed reuses few days); without
 * the milliseconds when `millis` is false (Graph's format).
 */
export function seedIsoTime(ms: number, millis: boolean): string {
  const day = Math.floor(ms / 86_400_000);
  let prefix = isoCache.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
    if (isoCache.size < 100_000) isoCache.set(day, prefix);
  }
  const rest = ms - day * 86_400_000;
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${prefix}${two(Math.floor(rest / 3_600_000))}:${two(Math.floor(rest / 60_000) % 60)}:${two(Math.floor(rest / 1000) % 60)}${millis ? '.000' : ''}Z`;
}
