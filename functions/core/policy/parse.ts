import type { Condition, Effect, PolicyDocument, Principal, SetQualifier, Statement } from './types';

/**
 * A policy document that does not follow the IAM grammar. `path` is a JSON path inside the document;
 * `problem` is the message without the path, for callers that report the path separately.
 */
export class PolicyParseError extends Error {
  override readonly name = 'PolicyParseError';
  constructor(
    readonly problem: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${problem} at ${path}`, options);
  }
}

/**
 * Parses a policy document as AWS returns it: a JSON object (CLI output), a JSON string, or a
 * URL-encoded JSON string (raw IAM API responses, RFC 3986: `+` is a literal plus, not a space).
 */
export function parsePolicyDocument(input: unknown): PolicyDocument {
  const value = typeof input === 'string' ? decodeDocumentString(input) : input;
  if (!isRecord(value)) throw new PolicyParseError('policy document is not a JSON object', '$');
  const version = value.Version;
  if (version !== undefined && typeof version !== 'string') {
    throw new PolicyParseError('Version is not a string', '$.Version');
  }
  const rawStatements = value.Statement;
  if (rawStatements === undefined) throw new PolicyParseError('Statement is missing', '$.Statement');
  const statements = Array.isArray(rawStatements)
    ? rawStatements.map((raw, i) => parseStatementAt(raw, i, `$.Statement[${i}]`))
    : [parseStatementAt(rawStatements, 0, '$.Statement')];
  return version === undefined ? { statements } : { version, statements };
}

function decodeDocumentString(text: string): unknown {
  const trimmed = text.trim();
  let json = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      json = decodeURIComponent(trimmed);
    } catch (error) {
      throw new PolicyParseError('policy document is neither JSON nor URL-encoded JSON', '$', {
        cause: error,
      });
    }
  }
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new PolicyParseError(`policy document is not valid JSON (${(error as Error).message})`, '$', {
      cause: error,
    });
  }
}

/**
 * Paths below are relative to the statement (`.Action[1]`) and joined to the statement's path only
 * when an error is thrown: documents are parsed by the hundred thousand and nearly all are valid.
 */
function parseStatementAt(raw: unknown, index: number, path: string): Statement {
  try {
    return parseStatement(raw, index);
  } catch (error) {
    if (!(error instanceof PolicyParseError)) throw error;
    throw new PolicyParseError(error.problem, path + error.path, { cause: error.cause });
  }
}

function parseStatement(raw: unknown, index: number): Statement {
  if (!isRecord(raw)) throw new PolicyParseError('statement is not an object', '');
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyParseError('Effect must be "Allow" or "Deny"', '.Effect');
  }
  const statement: Statement = { effect: effect as Effect, conditions: [], index };
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string') throw new PolicyParseError('Sid is not a string', '.Sid');
    statement.sid = raw.Sid;
  }
  if (raw.Action !== undefined) statement.actions = stringList(raw.Action, '.Action');
  if (raw.NotAction !== undefined) statement.notActions = stringList(raw.NotAction, '.NotAction');
  if (statement.actions && statement.notActions) {
    throw new PolicyParseError('statement has both Action and NotAction', '');
  }
  if (!statement.actions && !statement.notActions) {
    throw new PolicyParseError('statement has neither Action nor NotAction', '');
  }
  if (raw.Resource !== undefined) statement.resources = stringList(raw.Resource, '.Resource');
  if (raw.NotResource !== undefined) statement.notResources = stringList(raw.NotResource, '.NotResource');
  if (raw.Principal !== undefined) statement.principals = parsePrincipals(raw.Principal, '.Principal');
  if (raw.NotPrincipal !== undefined)
    statement.notPrincipals = parsePrincipals(raw.NotPrincipal, '.NotPrincipal');
  if (raw.Condition !== undefined) statement.conditions = parseConditions(raw.Condition, '.Condition');
  return statement;
}

const PRINCIPAL_KINDS: Record<string, Exclude<Principal['kind'], 'any'>> = {
  AWS: 'aws',
  Service: 'service',
  Federated: 'federated',
  CanonicalUser: 'canonical-user',
};

function parsePrincipals(raw: unknown, path: string): Principal[] {
  if (raw === '*') return [{ kind: 'any' }];
  if (!isRecord(raw)) throw new PolicyParseError('Principal must be "*" or an object', path);
  const principals: Principal[] = [];
  for (const type in raw) {
    const kind = Object.hasOwn(PRINCIPAL_KINDS, type) ? PRINCIPAL_KINDS[type] : undefined;
    if (!kind) throw new PolicyParseError(`unknown principal type "${type}"`, `${path}.${type}`);
    for (const value of stringList(raw[type], path, type)) {
      // `{"AWS": "*"}` grants every AWS principal, the same as `"*"` for IAM purposes.
      principals.push(kind === 'aws' && value === '*' ? { kind: 'any' } : { kind, value });
    }
  }
  return principals;
}

function parseConditions(raw: unknown, path: string): Condition[] {
  if (!isRecord(raw)) throw new PolicyParseError('Condition is not an object', path);
  const conditions: Condition[] = [];
  for (const operatorText in raw) {
    const block = raw[operatorText];
    if (!isRecord(block))
      throw new PolicyParseError('condition block is not an object', `${path}.${operatorText}`);
    const split = splitOperator(operatorText);
    if (!split) {
      throw new PolicyParseError(
        `unknown condition qualifier in "${operatorText}"`,
        `${path}.${operatorText}`,
      );
    }
    const { operator, qualifier, ifExists } = split;
    for (const key in block) {
      const condition: Condition = {
        raw: operatorText,
        operator,
        ifExists,
        key,
        values: conditionValues(block[key], path, operatorText, key),
      };
      if (qualifier) condition.qualifier = qualifier;
      conditions.push(condition);
    }
  }
  return conditions;
}

/** Undefined when the operator has a prefix other than `ForAllValues:` / `ForAnyValue:`. */
function splitOperator(
  text: string,
): { operator: string; qualifier?: SetQualifier; ifExists: boolean } | undefined {
  let rest = text;
  let qualifier: SetQualifier | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon);
    if (prefix !== 'ForAllValues' && prefix !== 'ForAnyValue') return undefined;
    qualifier = prefix;
    rest = rest.slice(colon + 1);
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists';
  const operator = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  return qualifier ? { operator, qualifier, ifExists } : { operator, ifExists };
}

function conditionValues(raw: unknown, path: string, operator: string, key: string): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v, i) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    throw new PolicyParseError(
      'condition value is not a string, number or boolean',
      `${path}.${operator}.${key}[${i}]`,
    );
  });
}

/** A string or an array of strings, at `path` (plus `.field` when given; joined only on error). */
function stringList(raw: unknown, path: string, field?: string): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i++) {
      if (typeof raw[i] !== 'string') {
        throw new PolicyParseError('value is not a string', `${fieldPath(path, field)}[${i}]`);
      }
    }
    return raw as string[];
  }
  throw new PolicyParseError('expected a string or an array of strings', fieldPath(path, field));
}

function fieldPath(path: string, field: string | undefined): string {
  return field === undefined ? path : `${path}.${field}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
