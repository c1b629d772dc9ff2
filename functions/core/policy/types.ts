/**
 * A parsed IAM policy document. Every list-or-single field of the AWS grammar is normalized to an
 * array here, so evaluators never branch on the JSON shape.
 */
export type Effect = 'Allow' | 'Deny';

/** `Principal: "*"` is `{ kind: 'any' }`; otherwise the map form, one entry per value. */
export type Principal =
  | { kind: 'any' }
  | { kind: 'aws'; value: string }
  | { kind: 'service'; value: string }
  | { kind: 'federated'; value: string }
  | { kind: 'canonical-user'; value: string };

export type SetQualifier = 'ForAllValues' | 'ForAnyValue';

export interface Condition {
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  raw: string;
  /** The base operator without qualifier or `IfExists`, e.g. `StringLike`. */
  operator: string;
  qualifier?: SetQualifier;
  ifExists: boolean;
  /** Condition key as written (keys are case-insensitive in IAM; compare with `lower`). */
  key: string;
  values: string[];
}

export interface Statement {
  sid?: string;
  effect: Effect;
  /** Exactly one of actions / notActions is set (both absent means the statement is invalid). */
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principals?: Principal[];
  notPrincipals?: Principal[];
  conditions: Condition[];
  /** Index of the statement in the document, for evidence. */
  index: number;
}

export interface PolicyDocument {
  version?: string;
  statements: Statement[];
}
