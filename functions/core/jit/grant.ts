import { createHash } from 'node:crypto';
import { PolicyParseError, parsePolicyDocument } from '../policy/parse';
import { GRANT_POLICY_PREFIX, type PolicyStatementDocument } from './types';

/**
 * A grant on the principal: one inline policy, named by the grant id, whose every statement holds
 * only between two literal instants. IAM evaluates `aws:CurrentTime` on every request, so the
 * policy stops working at the end of the window for sessions issued before it too, whether or not
 * anything ever deletes it.
 */

/** A grant that cannot be written as asked; the message says what and where. */
export class GrantError extends Error {
  override readonly name = 'GrantError';
}

/** Grant ids are lower-case hex or uuids: nothing a policy name, a table key or a button value chokes on. */
const GRANT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** IAM's limit on an inline policy name. */
const POLICY_NAME_MAX = 128;

/** The inline policy name of a grant. */
export function grantPolicyName(grantId: string): string {
  if (!GRANT_ID.test(grantId)) {
    throw new GrantError(
      `grant id "${grantId}" must be 1-64 lower-case letters, digits and dashes, starting with a letter or digit`,
    );
  }
  const name = GRANT_POLICY_PREFIX + grantId;
  // Unreachable with the id pattern above; kept so a longer prefix can never produce a name IAM refuses.
  if (name.length > POLICY_NAME_MAX)
    throw new GrantError(`policy name ${name} is longer than 128 characters`);
  return name;
}

/** The grant id of a grant policy name; undefined for any other name. */
export function grantIdOfPolicyName(name: string): string | undefined {
  if (!name.startsWith(GRANT_POLICY_PREFIX)) return undefined;
  const id = name.slice(GRANT_POLICY_PREFIX.length);
  return GRANT_ID.test(id) ? id : undefined;
}

export interface GrantIdentity {
  profile: string;
  principalArn: string;
  statements: readonly PolicyStatementDocument[];
  startsAt: string;
  endsAt: string;
  breakGlass: boolean;
}

/**
 * sha256 (hex) of the grant as JSON with object keys sorted at every level. Statement order is
 * kept: the same statements in another order are another document, and an approval is for the
 * exact document.
 */
export function grantHash(grant: GrantIdentity): string {
  const identity = {
    profile: grant.profile,
    principalArn: grant.principalArn,
    statements: grant.statements,
    startsAt: grant.startsAt,
    endsAt: grant.endsAt,
    breakGlass: grant.breakGlass,
  };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/** JSON with sorted object keys; `undefined` members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A grant bound: an ISO 8601 UTC instant with second precision, `2026-12-03T10:00:00Z`. */
const GRANT_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** `date` as a grant bound, the milliseconds dropped (floored, so a window never starts late). */
export function grantInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const CURRENT_TIME = 'aws:currenttime';
const AFTER = 'DateGreaterThan';
const BEFORE = 'DateLessThan';

export interface GrantDocument {
  Version: '2012-10-17';
  Statement: PolicyStatementDocument[];
}

/**
 * The grant policy: each statement with `DateGreaterThan` / `DateLessThan` on `aws:CurrentTime`
 * added to its own conditions (condition operators are ANDed, so its conditions still hold). A
 * statement that already bounds `aws:CurrentTime` is refused: merging two bounds on one key could
 * only be done by replacing one of them, and a replaced bound might be the one that kept it short.
 */
export function timeBoundedDocument(
  statements: readonly PolicyStatementDocument[],
  startsAt: string,
  endsAt: string,
): GrantDocument {
  if (!GRANT_INSTANT.test(startsAt)) {
    throw new GrantError(`startsAt "${startsAt}" must be a UTC instant like 2026-12-03T10:00:00Z`);
  }
  if (!GRANT_INSTANT.test(endsAt)) {
    throw new GrantError(`endsAt "${endsAt}" must be a UTC instant like 2026-12-03T11:00:00Z`);
  }
  if (Date.parse(startsAt) >= Date.parse(endsAt)) {
    throw new GrantError(`the window ends (${endsAt}) before or when it starts (${startsAt})`);
  }
  if (statements.length === 0) throw new GrantError('a grant needs at least one statement');
  return {
    Version: '2012-10-17',
    Statement: statements.map((statement, i) => boundStatement(statement, i, startsAt, endsAt)),
  };
}

function boundStatement(
  statement: PolicyStatementDocument,
  index: number,
  startsAt: string,
  endsAt: string,
): PolicyStatementDocument {
  if (!isRecord(statement)) throw new GrantError(`Statement[${index}] is not an object`);
  const existing = statement.Condition;
  if (existing !== undefined && !isRecord(existing)) {
    throw new GrantError(`Statement[${index}].Condition is not an object`);
  }
  const condition: Record<string, Record<string, unknown>> = {};
  for (const [operator, block] of Object.entries(existing ?? {})) {
    if (!isRecord(block)) throw new GrantError(`Statement[${index}].Condition.${operator} is not an object`);
    const bound = Object.keys(block).find((key) => key.toLowerCase() === CURRENT_TIME);
    if (bound !== undefined) {
      throw new GrantError(
        `Statement[${index}].Condition.${operator}.${bound} already limits the time; a grant sets the window itself`,
      );
    }
    condition[operator] = { ...block };
  }
  condition[AFTER] = { ...condition[AFTER], 'aws:CurrentTime': startsAt };
  condition[BEFORE] = { ...condition[BEFORE], 'aws:CurrentTime': endsAt };
  return { ...statement, Condition: condition };
}

/**
 * The window of a grant policy as IAM enforces it: the `aws:CurrentTime` bounds every statement
 * carries. Undefined when the document cannot be read, when a statement lacks either bound or
 * bounds it with a list (values of one key are ORed, so a list could widen it), or when the
 * statements disagree: such a policy is not one this feature wrote.
 */
export function grantWindowOf(document: unknown): { startsAt: string; endsAt: string } | undefined {
  let parsed: ReturnType<typeof parsePolicyDocument>;
  try {
    parsed = parsePolicyDocument(document);
  } catch (error) {
    if (error instanceof PolicyParseError) return undefined;
    throw error;
  }
  let window: { startsAt: string; endsAt: string } | undefined;
  for (const statement of parsed.statements) {
    const after = singleBound(statement.conditions, AFTER);
    const before = singleBound(statement.conditions, BEFORE);
    if (after === undefined || before === undefined) return undefined;
    if (window === undefined) window = { startsAt: after, endsAt: before };
    else if (window.startsAt !== after || window.endsAt !== before) return undefined;
  }
  return window;
}

function singleBound(
  conditions: readonly { raw: string; key: string; values: string[] }[],
  operator: string,
): string | undefined {
  const matching = conditions.filter((c) => c.raw === operator && c.key.toLowerCase() === CURRENT_TIME);
  if (matching.length !== 1) return undefined;
  const values = matching[0]!.values;
  return values.length === 1 && GRANT_INSTANT.test(values[0]!) ? values[0] : undefined;
}

/**
 * The statements of a policy document as IAM returns it (an object, JSON or URL-encoded JSON; one
 * statement or a list), copied as written, for a grant of a managed policy's default version. The
 * document must follow the IAM grammar (`PolicyParseError` otherwise), so a grant never carries
 * what IAM would refuse.
 */
export function statementsOfDocument(document: unknown): PolicyStatementDocument[] {
  parsePolicyDocument(document);
  const value = typeof document === 'string' ? JSON.parse(decodedDocument(document)) : document;
  const statements = (value as { Statement: unknown }).Statement;
  return structuredClone(Array.isArray(statements) ? statements : [statements]) as PolicyStatementDocument[];
}

function decodedDocument(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('{') ? trimmed : safeDecode(trimmed);
}

/**
 * IAM's quota on the inline policies of one principal, all together: characters, whitespace not
 * counted. Groups have their own (5,120) but are never granted to.
 */
export const INLINE_POLICY_QUOTA = { role: 10240, user: 2048 } as const;

/**
 * The size IAM counts for a policy: its characters without whitespace. A string is a document as
 * IAM returns it (JSON, or URL-encoded JSON) and is measured decoded.
 */
export function inlinePolicySize(document: unknown): number {
  const text = typeof document === 'string' ? decodedDocument(document) : (JSON.stringify(document) ?? '');
  let size = 0;
  for (const char of text) if (!/\s/.test(char)) size++;
  return size;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export type InlineQuotaCheck =
  | { ok: true; used: number; limit: number }
  | { ok: false; used: number; limit: number; reason: string };

/** Whether `added` fits beside the principal's existing inline policies (the limit itself fits). */
export function checkInlineQuota(
  kind: 'role' | 'user',
  existing: readonly { name: string; document: unknown }[],
  added: unknown,
): InlineQuotaCheck {
  const limit = INLINE_POLICY_QUOTA[kind];
  const current = existing.reduce((sum, policy) => sum + inlinePolicySize(policy.document), 0);
  const grant = inlinePolicySize(added);
  const used = current + grant;
  if (used <= limit) return { ok: true, used, limit };
  const count = existing.length === 1 ? '1 inline policy' : `${existing.length} inline policies`;
  return {
    ok: false,
    used,
    limit,
    reason:
      `the grant needs ${grant} characters, and the ${kind}'s ${count} already take ${current} ` +
      `of the ${limit} IAM allows for all of a ${kind}'s inline policies (whitespace not counted)`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
