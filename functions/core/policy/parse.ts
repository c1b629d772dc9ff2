import type { Condition, Effect, PolicyDocument, Principal, SetQualifier, Statement } from './types';

/** A policy document that does not follow the IAM grammar. `path` is a JSON path inside the document. */
export class PolicyParseError extends Error {
  override readonly name = 'PolicyParseError';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} at ${path}`, options);
  }
}

/**
 * Parses a policy document as AWS returns it: a JSON object (CLI output), a JSON string, or a
 * URL-encoded JSON string (raw IAM API responses).
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
  const list = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  const statements = list.map((s, i) =>
    parseStatement(s, i, Array.isArray(rawStatements) ? `$.Statement[${i}]` : '$.Statement'),
  );
  return version === undefined ? { statements } : { version, statements };
}

function decodeDocumentString(text: string): unknown {
  const trimmed = text.trim();
  let json = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      json = decodeURIComponent(trimmed.replace(/\+/g, '%20'));
    } catch (error) {
      throw new PolicyParseError('policy document is neither JSON nor URL-encoded JSON', '$', { cause: error });
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

function parseStatement(raw: unknown, index: number, path: string): Statement {
  if (!isRecord(raw)) throw new PolicyParseError('statement is not an object', path);
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyParseError('Effect must be "Allow" or "Deny"', `${path}.Effect`);
  }
  const statement: Statement = { effect: effect as Effect, conditions: [], index };
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string') throw new PolicyParseError('Sid is not a string', `${path}.Sid`);
    statement.sid = raw.Sid;
  }
  if (raw.Action !== undefined) statement.actions = stringList(raw.Action, `${path}.Action`);
  if (raw.NotAction !== undefined) statement.notActions = stringList(raw.NotAction, `${path}.NotAction`);
  if (statement.actions && statement.notActions) {
    throw new PolicyParseError('statement has both Action and NotAction', path);
  }
  if (!statement.actions && !statement.notActions) {
    throw new PolicyParseError('statement has neither Action nor NotAction', path);
  }
  if (raw.Resource !== undefined) statement.resources = stringList(raw.Resource, `${path}.Resource`);
  if (raw.NotResource !== undefined) {
    statement.notResources = stringList(raw.NotResource, `${path}.NotResource`);
  }
  if (raw.Principal !== undefined) statement.principals = parsePrincipals(raw.Principal, `${path}.Principal`);
  if (raw.NotPrincipal !== undefined) {
    statement.notPrincipals = parsePrincipals(raw.NotPrincipal, `${path}.NotPrincipal`);
  }
  if (raw.Condition !== undefined) statement.conditions = parseConditions(raw.Condition, `${path}.Condition`);
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
  for (const [type, values] of Object.entries(raw)) {
    const kind = PRINCIPAL_KINDS[type];
    if (!kind) throw new PolicyParseError(`unknown principal type "${type}"`, `${path}.${type}`);
    for (const value of stringList(values, `${path}.${type}`)) {
      // `{"AWS": "*"}` grants every AWS principal, the same as `"*"` for IAM purposes.
      principals.push(kind === 'aws' && value === '*' ? { kind: 'any' } : { kind, value });
    }
  }
  return principals;
}

function parseConditions(raw: unknown, path: string): Condition[] {
  if (!isRecord(raw)) throw new PolicyParseError('Condition is not an object', path);
  const conditions: Condition[] = [];
  for (const [operatorText, block] of Object.entries(raw)) {
    const blockPath = `${path}.${operatorText}`;
    if (!isRecord(block)) throw new PolicyParseError('condition block is not an object', blockPath);
    const { operator, qualifier, ifExists } = splitOperator(operatorText);
    for (const [key, values] of Object.entries(block)) {
      const condition: Condition = {
        raw: operatorText,
        operator,
        ifExists,
        key,
        values: conditionValues(values, `${blockPath}.${key}`),
      };
      if (qualifier) condition.qualifier = qualifier;
      conditions.push(condition);
    }
  }
  return conditions;
}

function splitOperator(text: string): { operator: string; qualifier?: SetQualifier; ifExists: boolean } {
  let rest = text;
  let qualifier: SetQualifier | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon);
    if (prefix === 'ForAllValues' || prefix === 'ForAnyValue') qualifier = prefix;
    rest = rest.slice(colon + 1);
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists';
  const operator = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  return qualifier ? { operator, qualifier, ifExists } : { operator, ifExists };
}

function conditionValues(raw: unknown, path: string): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v, i) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    throw new PolicyParseError('condition value is not a string, number or boolean', `${path}[${i}]`);
  });
}

function stringList(raw: unknown, path: string): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) {
    return raw.map((v, i) => {
      if (typeof v !== 'string') throw new PolicyParseError('value is not a string', `${path}[${i}]`);
      return v;
    });
  }
  throw new PolicyParseError('expected a string or an array of strings', path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
