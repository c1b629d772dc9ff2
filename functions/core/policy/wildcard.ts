/**
 * IAM wildcard matching: `*` is any run of characters (including none), `?` is one character.
 * Matchers are compiled once per distinct pattern and shared, so evaluation never builds a
 * regular expression per call.
 *
 * A pattern can be matched against a concrete value (`s3:getobject`) or against another pattern
 * taken literally (`s3:*`). `covers(p, q)` asks whether `p` matches everything `q` denotes, and
 * is approximated by matching `q` as a literal string: `*` covers `iam:*`, `iam:*` covers
 * `iam:get*`, `iam:get*` does not cover `iam:*`. Two patterns overlap when either covers the
 * other; this misses overlaps like `a*` / `*b`, which do not occur in the grants this module
 * is used for.
 */

export type Matcher = (value: string) => boolean;

const MATCH_ALL: Matcher = () => true;
const cache = new Map<string, Matcher>();

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Compiles (or returns the cached) matcher for a pattern. Case-sensitive: lower-case both sides for actions. */
export function wildcardMatcher(pattern: string): Matcher {
  let matcher = cache.get(pattern);
  if (!matcher) {
    matcher = compile(pattern);
    cache.set(pattern, matcher);
  }
  return matcher;
}

function compile(pattern: string): Matcher {
  if (/^\*+$/.test(pattern)) return MATCH_ALL;
  if (!hasWildcard(pattern)) return (value) => value === pattern;
  const star = pattern.indexOf('*');
  if (!pattern.includes('?') && star === pattern.length - 1) {
    const prefix = pattern.slice(0, -1);
    return (value) => value.startsWith(prefix);
  }
  const regex = new RegExp(`^${pattern.split('').map(translate).join('')}$`, 's');
  return (value) => regex.test(value);
}

function translate(char: string): string {
  if (char === '*') return '.*';
  if (char === '?') return '.';
  return char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
}

/** True when `pattern` matches every value `request` denotes (`request` taken as a literal string). */
export function covers(pattern: string, request: string): boolean {
  return wildcardMatcher(pattern)(request);
}

/** True when some value could match both patterns (see the module comment for the approximation). */
export function overlaps(a: string, b: string): boolean {
  return wildcardMatcher(a)(b) || wildcardMatcher(b)(a);
}
