import { ACTION_CATALOG, COMPLETE_SERVICES } from '../policy/actions';
import { type CompiledPolicy, servicePart } from '../policy/compile';
import type { PolicyDocument, Statement } from '../policy/types';
import { covers, hasWildcard, wildcardMatcher } from '../policy/wildcard';

/**
 * Which AWS services a policy grants, and how to narrow a policy to the services still in use.
 * "Grants a service" means an Allow statement reaches at least one of its actions, on any
 * resource, with or without conditions: it is about what the policy text hands out.
 */

interface ServiceReach {
  /** Service prefixes named explicitly by Allow statements (lower-cased). */
  named: Set<string>;
  /** Allow statements that reach services by pattern: a wildcard service part, or NotAction. */
  patterned: Statement[];
  memo: Map<string, boolean>;
}

const reachMemo = new WeakMap<CompiledPolicy, ServiceReach>();

function serviceReach(policy: CompiledPolicy): ServiceReach {
  let reach = reachMemo.get(policy);
  if (!reach) {
    reach = { named: new Set(), patterned: [], memo: new Map() };
    for (const statement of policy.document.statements) {
      if (statement.effect !== 'Allow') continue;
      if (!statement.resources?.length && !statement.notResources?.length) continue;
      if (!statement.actions) {
        reach.patterned.push(statement);
        continue;
      }
      for (const action of statement.actions) {
        const service = servicePart(action);
        if (hasWildcard(service)) {
          reach.patterned.push(statement);
          break;
        }
        reach.named.add(service);
      }
    }
    reachMemo.set(policy, reach);
  }
  return reach;
}

/** True when an Allow statement of the policy reaches some action of the service namespace. */
export function policyGrantsService(policy: CompiledPolicy, namespace: string): boolean {
  const reach = serviceReach(policy);
  const ns = namespace.toLowerCase();
  if (reach.named.has(ns)) return true;
  if (reach.patterned.length === 0) return false;
  let granted = reach.memo.get(ns);
  if (granted === undefined) {
    granted = reach.patterned.some((s) => statementReaches(s, ns));
    reach.memo.set(ns, granted);
  }
  return granted;
}

function statementReaches(statement: Statement, namespace: string): boolean {
  if (statement.actions) {
    return statement.actions.some((p) => wildcardMatcher(servicePart(p))(namespace));
  }
  // NotAction grants the service unless one excluded pattern covers all of it.
  return !(statement.notActions ?? []).some((p) => covers(p.toLowerCase(), `${namespace}:*`));
}

/** The AWS JSON shape of a policy document, as IAM accepts it. */
export interface PolicyDocumentJson {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
}

export interface NarrowedPolicy {
  /** The narrowed document; undefined when nothing would be left of it. */
  document?: PolicyDocumentJson;
  /** True when the narrowed document still grants something (has an Allow statement). */
  grantsAnything: boolean;
  /** True when the original has Deny statements (removing the policy would lift them). */
  hasDeny: boolean;
  /** Services the narrowing could not express (NotAction that excludes part of a service). */
  reviewByHand: string[];
}

/**
 * Narrows a policy to the services in `keep`: Allow statements lose the actions of services
 * not kept; wildcards over services (`*`, `*:Get*`) are spelled out for the kept services;
 * NotAction becomes an Action list. Deny statements are kept as they are. The result never
 * grants more than the original.
 */
export function narrowPolicyDocument(
  document: PolicyDocument,
  keep: readonly string[],
  isDropped: (namespace: string) => boolean,
): NarrowedPolicy {
  const keepList = [...new Set(keep.map((k) => k.toLowerCase()))].sort();
  const statements: Record<string, unknown>[] = [];
  const reviewByHand = new Set<string>();
  let grantsAnything = false;
  let hasDeny = false;
  for (const statement of document.statements) {
    if (statement.effect === 'Deny') {
      hasDeny = true;
      statements.push(statementJson(statement, statement.actions ?? [], statement.notActions));
      continue;
    }
    const actions = statement.actions
      ? narrowActions(statement.actions, keepList, isDropped)
      : narrowNotActions(statement.notActions ?? [], keepList, reviewByHand);
    if (actions.length === 0) continue;
    grantsAnything = true;
    statements.push(statementJson(statement, actions));
  }
  const result: NarrowedPolicy = { grantsAnything, hasDeny, reviewByHand: [...reviewByHand].sort() };
  if (statements.length > 0) result.document = { Version: '2012-10-17', Statement: statements };
  return result;
}

function narrowActions(
  patterns: readonly string[],
  keep: readonly string[],
  isDropped: (namespace: string) => boolean,
): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    const service = servicePart(pattern);
    if (!hasWildcard(service)) {
      if (!isDropped(service)) out.add(pattern);
      continue;
    }
    const colon = pattern.indexOf(':');
    const action = colon < 0 ? '*' : pattern.slice(colon + 1);
    const matches = wildcardMatcher(service);
    for (const ns of keep) if (matches(ns)) out.add(`${ns}:${action}`);
  }
  return [...out];
}

function narrowNotActions(
  excluded: readonly string[],
  keep: readonly string[],
  review: Set<string>,
): string[] {
  const lower = excluded.map((p) => p.toLowerCase());
  const out: string[] = [];
  for (const ns of keep) {
    const touching = lower.filter((p) => wildcardMatcher(servicePart(p))(ns));
    if (touching.length === 0) {
      out.push(`${ns}:*`);
      continue;
    }
    if (touching.some((p) => covers(p, `${ns}:*`))) continue;
    if (COMPLETE_SERVICES.has(ns)) {
      for (const name of ACTION_CATALOG[ns] ?? []) {
        const action = `${ns}:${name}`;
        if (!touching.some((p) => covers(p, action.toLowerCase()))) out.push(action);
      }
    } else {
      review.add(ns);
    }
  }
  return out;
}

function statementJson(
  statement: Statement,
  actions: readonly string[],
  notActions?: readonly string[],
): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (statement.sid) json.Sid = statement.sid;
  json.Effect = statement.effect;
  if (notActions) json.NotAction = oneOrMany(notActions);
  else json.Action = oneOrMany(actions);
  if (statement.resources) json.Resource = oneOrMany(statement.resources);
  if (statement.notResources) json.NotResource = oneOrMany(statement.notResources);
  if (statement.conditions.length > 0) {
    const condition: Record<string, Record<string, string | string[]>> = {};
    for (const c of statement.conditions) {
      condition[c.raw] ??= {};
      condition[c.raw]![c.key] = c.values.length === 1 ? c.values[0]! : c.values;
    }
    json.Condition = condition;
  }
  return json;
}

function oneOrMany(values: readonly string[]): string | string[] {
  return values.length === 1 ? values[0]! : [...values];
}
