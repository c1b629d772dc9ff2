import { ACTION_CATALOG } from './actions';
import type { PolicyDocument, Statement } from './types';
import { parseResourcePattern, type ResourcePattern } from './variables';
import { hasWildcard, type Matcher, wildcardMatcher } from './wildcard';

/**
 * Policy documents compiled for evaluation. A document is compiled once (cached by object
 * identity) and shared by every principal it is attached to; the statements that apply to an
 * action are computed once per (document, action).
 */

export interface CompiledStatement {
  readonly statement: Statement;
  readonly allow: boolean;
  /** The statement has conditions, or a resource that depends on the request. */
  readonly conditional: boolean;
  /** Lower-cased Action or NotAction patterns. */
  readonly actionPatterns: readonly string[];
  readonly actionMatchers: readonly Matcher[];
  readonly notAction: boolean;
  /** Resource or NotResource patterns; empty when the statement names neither (it then matches nothing). */
  readonly resources: readonly ResourcePattern[];
  readonly notResource: boolean;
}

/** An action (or action pattern) interned for memoized lookups. */
export interface ActionKey {
  readonly id: number;
  /** Lower-cased. */
  readonly name: string;
  /** Lower-cased service prefix (`*` for the action `*`). */
  readonly service: string;
  /** The service's bit in a reach mask; 0 for services the mask does not track. */
  readonly bit: number;
}

export interface CompiledPolicy {
  readonly document: PolicyDocument;
  readonly statements: readonly CompiledStatement[];
  /**
   * Which tracked services (`serviceBit`) its Allow statements can reach; every bit when a
   * statement has NotAction or a wildcard in the service part. A cheap filter: a policy that
   * cannot reach `iam` cannot grant any IAM action.
   */
  readonly allowMask: number;
  /** Which tracked services its Deny statements can reach. */
  readonly denyMask: number;
  /** Statements whose Action / NotAction covers the action (or every action of an action pattern). */
  statementsFor(action: ActionKey): readonly CompiledStatement[];
}

/**
 * Services tracked by reach masks: those the privilege analysis asks about (the services of
 * the action catalog), plus one bit for "a wildcard service or NotAction", which alone can
 * cover the action `*`.
 */
const TRACKED = [...Object.keys(ACTION_CATALOG)];
const BITS = new Map(TRACKED.map((service, i) => [service, 1 << i]));
const WILD = 1 << TRACKED.length;
export const ALL_SERVICES = (WILD << 1) - 1;

/** The reach-mask bit of a lower-case service prefix (`*` for the wildcard bit); 0 when untracked. */
export function serviceBit(service: string): number {
  return service === '*' ? WILD : (BITS.get(service) ?? 0);
}

/** True when a reach mask may include the action (untracked services are always possible). */
export function mayReach(mask: number, action: ActionKey): boolean {
  return action.bit === 0 || (mask & action.bit) !== 0;
}

const NONE: readonly CompiledStatement[] = Object.freeze([]);
const actionKeys = new Map<string, ActionKey>();

export function actionKey(action: string): ActionKey {
  let key = actionKeys.get(action);
  if (!key) {
    const name = action.toLowerCase();
    key = actionKeys.get(name);
    if (!key) {
      const service = servicePart(name);
      key = { id: actionKeys.size, name, service, bit: serviceBit(hasWildcard(service) ? '*' : service) };
      actionKeys.set(name, key);
    }
    actionKeys.set(action, key);
  }
  return key;
}

const compiled = new WeakMap<PolicyDocument, CompiledPolicy>();

/**
 * Compiles a document without keeping it: for a role's or user's own inline policies, which no
 * other principal shares, so the compiled form lives only as long as the principal's analysis.
 */
export function compileUnshared(document: PolicyDocument): CompiledPolicy {
  return new Compiled(document);
}

export function compilePolicy(document: PolicyDocument): CompiledPolicy {
  let policy = compiled.get(document);
  if (!policy) {
    policy = new Compiled(document);
    compiled.set(document, policy);
  }
  return policy;
}

class Compiled implements CompiledPolicy {
  readonly allowMask: number;
  readonly denyMask: number;
  private compiledStatements: readonly CompiledStatement[] | undefined;
  private byAction: Map<number, readonly CompiledStatement[]> | undefined;

  constructor(readonly document: PolicyDocument) {
    // Statements are compiled on first use: most queries are answered by the service filter.
    this.allowMask = reachMask(document.statements, 'Allow');
    this.denyMask = reachMask(document.statements, 'Deny');
  }

  get statements(): readonly CompiledStatement[] {
    this.compiledStatements ??= this.document.statements.map(compileStatement);
    return this.compiledStatements;
  }

  statementsFor(action: ActionKey): readonly CompiledStatement[] {
    if (!mayReach(this.allowMask | this.denyMask, action)) return NONE;
    this.byAction ??= new Map();
    let list = this.byAction.get(action.id);
    if (list === undefined) {
      const matching = this.statements.filter((s) => actionApplies(s, action.name));
      list = matching.length === 0 ? NONE : matching;
      this.byAction.set(action.id, list);
    }
    return list;
  }
}

/** Tracked service names by length, for matching an action's prefix without allocating. */
const TRACKED_BY_LENGTH: string[][] = [];
for (const service of TRACKED) {
  const sameLength = TRACKED_BY_LENGTH[service.length] ?? [];
  sameLength.push(service);
  TRACKED_BY_LENGTH[service.length] = sameLength;
}

function reachMask(statements: readonly Statement[], effect: Statement['effect']): number {
  let mask = 0;
  for (const s of statements) {
    if (s.effect !== effect) continue;
    if (!s.actions) return ALL_SERVICES;
    for (const action of s.actions) {
      const colon = action.indexOf(':');
      if (colon < 0) return ALL_SERVICES;
      for (let i = 0; i < colon; i++) {
        const c = action.charCodeAt(i);
        if (c === 42 || c === 63) return ALL_SERVICES; // `*` or `?` in the service part
      }
      for (const service of TRACKED_BY_LENGTH[colon] ?? []) {
        if (prefixEqualsIgnoreCase(action, service)) mask |= BITS.get(service)!;
      }
    }
  }
  return mask;
}

/** `value` starts with the lower-case `prefix`, ignoring ASCII case. */
function prefixEqualsIgnoreCase(value: string, prefix: string): boolean {
  for (let i = 0; i < prefix.length; i++) {
    // Service names are lower-case letters, digits and `-`: OR-ing 0x20 folds only A-Z onto a-z.
    if ((value.charCodeAt(i) | 0x20) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

function compileStatement(statement: Statement): CompiledStatement {
  return new CompiledStatementImpl(statement);
}

/** Action patterns are compiled up front; resources only once a query reaches the statement. */
class CompiledStatementImpl implements CompiledStatement {
  readonly allow: boolean;
  readonly actionPatterns: readonly string[];
  readonly actionMatchers: readonly Matcher[];
  readonly notAction: boolean;
  readonly notResource: boolean;
  private parsed: { resources: readonly ResourcePattern[]; conditional: boolean } | undefined;

  constructor(readonly statement: Statement) {
    this.allow = statement.effect === 'Allow';
    this.notAction = statement.actions === undefined;
    this.actionPatterns = (statement.actions ?? statement.notActions ?? []).map((a) => a.toLowerCase());
    this.actionMatchers = this.actionPatterns.map(wildcardMatcher);
    this.notResource = statement.resources === undefined && statement.notResources !== undefined;
  }

  get resources(): readonly ResourcePattern[] {
    return this.parse().resources;
  }

  get conditional(): boolean {
    return this.parse().conditional;
  }

  private parse(): { resources: readonly ResourcePattern[]; conditional: boolean } {
    if (!this.parsed) {
      let requestDependent = false;
      const resources = (this.statement.resources ?? this.statement.notResources ?? []).map((raw) => {
        const parsed = parseResourcePattern(raw);
        if (parsed.requestDependent) requestDependent = true;
        return parsed.pattern;
      });
      this.parsed = { resources, conditional: this.statement.conditions.length > 0 || requestDependent };
    }
    return this.parsed;
  }
}

/**
 * Action applies when the statement covers every action the request denotes: for a concrete
 * action that is plain matching; for `iam:*` it means all of IAM; NotAction applies when none of
 * its patterns overlaps the request.
 */
function actionApplies(statement: CompiledStatement, action: string): boolean {
  if (!statement.notAction) return statement.actionMatchers.some((matches) => matches(action));
  const request = wildcardMatcher(action);
  return !statement.actionPatterns.some((p, i) => statement.actionMatchers[i]!(action) || request(p));
}

/** The service prefix of an action pattern (`s3` for `s3:Get*`), lower-cased; `*` when it has none. */
export function servicePart(actionPattern: string): string {
  const colon = actionPattern.indexOf(':');
  return colon < 0 ? '*' : actionPattern.slice(0, colon).toLowerCase();
}
