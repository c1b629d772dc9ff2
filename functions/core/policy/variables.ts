/**
 * Policy variables in `Resource` / `NotResource` (`${aws:username}`, `${aws:PrincipalTag/team}`,
 * `${aws:username, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`).
 *
 * Variables that describe the principal are substituted per principal; a principal variable
 * with no value and no default makes the pattern match nothing, as in IAM. Variables that
 * depend on the request (`${aws:SourceIdentity}`, `${s3:prefix}`, ...) cannot be known
 * statically: they become `*` and the statement is reported as conditional.
 */

import { type Matcher, wildcardMatcher } from './wildcard';

/** Values of the principal variables, keys lower-cased (`aws:username`, `aws:principaltag/team`). */
export type PolicyVariables = ReadonlyMap<string, string>;

const PRINCIPAL_KEYS = new Set([
  'aws:username',
  'aws:userid',
  'aws:principaltype',
  'aws:principalaccount',
  'aws:principalarn',
]);

function isPrincipalKey(key: string): boolean {
  return PRINCIPAL_KEYS.has(key) || key.startsWith('aws:principaltag/');
}

type Part = string | { key: string; fallback?: string };

export type ResourcePattern =
  /** A pattern with only wildcards: the same for every principal. */
  | { kind: 'static'; pattern: string; raw: string; matches: Matcher }
  /** A pattern with principal variables, resolved per principal. */
  | { kind: 'dynamic'; parts: readonly Part[]; raw: string };

export interface ParsedResource {
  pattern: ResourcePattern;
  /** True when a request-dependent variable was replaced by `*`. */
  requestDependent: boolean;
}

const VARIABLE = /\$\{([^}]*)\}/g;

/** Parsed patterns by text: the same ARN appears in many policies. */
const parsedCache = new Map<string, ParsedResource>();

export function parseResourcePattern(raw: string): ParsedResource {
  let parsed = parsedCache.get(raw);
  if (!parsed) {
    parsed = parse(raw);
    parsedCache.set(raw, parsed);
  }
  return parsed;
}

function parse(raw: string): ParsedResource {
  if (!raw.includes('${')) {
    return {
      pattern: { kind: 'static', pattern: raw, raw, matches: wildcardMatcher(raw) },
      requestDependent: false,
    };
  }
  const parts: Part[] = [];
  let requestDependent = false;
  let dynamic = false;
  let last = 0;
  for (const match of raw.matchAll(VARIABLE)) {
    const index = match.index ?? 0;
    if (index > last) parts.push(raw.slice(last, index));
    last = index + match[0].length;
    const body = (match[1] ?? '').trim();
    // Escapes: a literal `*` or `?` becomes `?` (any one character), which keeps the matcher simple.
    if (body === '*' || body === '?') {
      parts.push('?');
      continue;
    }
    if (body === '$') {
      parts.push('$');
      continue;
    }
    const comma = body.indexOf(',');
    const key = (comma >= 0 ? body.slice(0, comma) : body).trim().toLowerCase();
    const fallbackText = comma >= 0 ? body.slice(comma + 1).trim() : undefined;
    const fallback = fallbackText?.replace(/^'(.*)'$/s, '$1');
    if (isPrincipalKey(key)) {
      dynamic = true;
      parts.push(fallback === undefined ? { key } : { key, fallback });
    } else {
      requestDependent = true;
      parts.push('*');
    }
  }
  if (last < raw.length) parts.push(raw.slice(last));
  if (!dynamic) {
    const pattern = parts.join('');
    return { pattern: { kind: 'static', pattern, raw, matches: wildcardMatcher(pattern) }, requestDependent };
  }
  return { pattern: { kind: 'dynamic', parts, raw }, requestDependent };
}

/** The pattern for a principal, or undefined when a principal variable has no value. */
export function resolvePattern(pattern: ResourcePattern, variables: PolicyVariables): string | undefined {
  if (pattern.kind === 'static') return pattern.pattern;
  let out = '';
  for (const part of pattern.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = variables.get(part.key) ?? part.fallback;
    if (value === undefined) return undefined;
    // A substituted value is literal text: its wildcard characters must not widen the pattern.
    out += value.replace(/[*?]/g, '?');
  }
  return out;
}
