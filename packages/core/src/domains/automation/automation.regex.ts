/**
 * `matchesRegex` patterns: the portable subset that PostgreSQL's `~*` and JavaScript's `RegExp(…, 'i')`
 * read the same way. A pattern outside it (or invalid) never matches (the predecessor's "invalid regex
 * ⇒ false"), and never reaches PostgreSQL, where an invalid pattern would fail the whole statement.
 *
 * The subset: literal characters, `.`, anchors `^` `$`, groups `( )` without `(?`, alternation `|`,
 * quantifiers `*` `+` `?` `{n}` `{n,}` `{n,m}` (n, m <= 255, not lazy, not stacked), escapes `\d \D \w
 * \W \s \S` and `\` before a punctuation character, bracket classes of literal characters and ranges
 * within `a-z`, `A-Z` or `0-9` (no escapes inside brackets).
 */

const PUNCT = new Set('.^$|()[]{}*+?\\/-'.split(''));
const SHORTHAND = new Set('dDwWsS'.split(''));
const CLASS_LITERAL = /^[A-Za-z0-9 _.@,:;!#%&'"=<>~`/-]$/;

function sameRange(a: string, b: string): boolean {
  const kind = (c: string) => (/[a-z]/.test(c) ? 1 : /[A-Z]/.test(c) ? 2 : /[0-9]/.test(c) ? 3 : 0);
  return kind(a) !== 0 && kind(a) === kind(b) && a <= b;
}

/** True when `pattern` is in the portable subset (and so means the same in PostgreSQL and JavaScript). */
export function isPortableRegex(pattern: string): boolean {
  let i = 0;
  let depth = 0;
  // Whether the previous token can take a quantifier, and whether the current alternative is empty.
  let atom = false;
  let empty = true;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || !(PUNCT.has(next) || SHORTHAND.has(next))) return false;
      i += 2;
      atom = true;
      empty = false;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      let count = 0;
      while (j < n && pattern[j] !== ']') {
        const a = pattern[j] as string;
        if (!CLASS_LITERAL.test(a) || (a === '-' && count === 0 && pattern[j + 1] !== ']'))
          return false;
        if (pattern[j + 1] === '-' && pattern[j + 2] !== undefined && pattern[j + 2] !== ']') {
          const b = pattern[j + 2] as string;
          if (!sameRange(a, b)) return false;
          j += 3;
        } else j++;
        count++;
      }
      if (j >= n || count === 0) return false;
      i = j + 1;
      atom = true;
      empty = false;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] === '?' || pattern[i + 1] === ')') return false;
      depth++;
      i++;
      atom = false;
      empty = true;
      continue;
    }
    if (c === ')') {
      if (depth === 0 || empty) return false;
      depth--;
      i++;
      atom = true;
      empty = false;
      continue;
    }
    if (c === '|') {
      if (empty) return false;
      i++;
      atom = false;
      empty = true;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      if (!atom) return false;
      if (c === '{') {
        const m = /^\{(\d{1,3})(,(\d{1,3})?)?\}/.exec(pattern.slice(i));
        if (!m) return false;
        const lo = Number(m[1]);
        const hi = m[3] === undefined ? lo : Number(m[3]);
        if (lo > 255 || hi > 255 || (m[2] && m[3] !== undefined && hi < lo)) return false;
        i += m[0].length;
      } else i++;
      // No lazy (`*?`) or stacked (`a**`) quantifiers.
      atom = false;
      continue;
    }
    if (c === '^' || c === '$') {
      i++;
      atom = false;
      empty = false;
      continue;
    }
    if (c === ']' || c === '}') return false;
    // A literal character (or `.`): printable ASCII only, so both engines fold case the same way.
    if (c < ' ' || c > '~') return false;
    i++;
    atom = true;
    empty = false;
  }
  return depth === 0 && !empty;
}
