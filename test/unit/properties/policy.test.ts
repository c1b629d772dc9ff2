/**
 * Properties of the policy parser, the evaluator and the privilege analysis built on them, over
 * random documents drawn from a small universe of actions and resources: small enough that
 * random statements overlap, collide and contradict each other often.
 *
 * The evaluator is checked against a reference written here from the IAM rules alone: an
 * unconditional Deny that applies wins, then an Allow (standing if unconditional, else
 * conditional), else implicit deny; a permissions boundary must also allow. Actions match
 * case-insensitively, resources case-sensitively; `*` is any run of characters, `?` exactly one.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ManagedPolicy } from '../../../functions/core/model';
import {
  type Decision,
  evaluate,
  evaluatePrincipal,
  principalPolicies,
} from '../../../functions/core/policy/evaluate';
import { PolicyParseError, parsePolicyDocument } from '../../../functions/core/policy/parse';
import type { PolicyDocument } from '../../../functions/core/policy/types';
import { analyzePrincipal } from '../../../functions/core/privilege';
import { aRole } from '../../support/builders';

const ACCOUNT = '111122223333';

const ACTION_PATTERNS = [
  's3:GetObject',
  's3:PutObject',
  's3:*',
  'S3:get*',
  's3:?utObject',
  'iam:PassRole',
  'IAM:passrole',
  'iam:*',
  'iam:Pass*',
  'iam:Attach*',
  'iam:CreatePolicyVersion',
  'lambda:CreateFunction',
  'lambda:*',
  'ec2:RunInstances',
  '*',
];

const ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  'S3:GETOBJECT',
  'iam:PassRole',
  'iam:AttachRolePolicy',
  'iam:CreatePolicyVersion',
  'lambda:CreateFunction',
  'ec2:RunInstances',
];

const RESOURCE_PATTERNS = [
  '*',
  'arn:aws:s3:::b/*',
  'arn:aws:s3:::b/k',
  'arn:aws:s3:::B/*',
  'arn:aws:s3:::b/?',
  'arn:aws:s3:::*',
  `arn:aws:iam::${ACCOUNT}:role/app`,
  'arn:aws:iam::*:role/*',
  `arn:aws:iam::${ACCOUNT}:role/a?p`,
];

const RESOURCES = [
  'arn:aws:s3:::b/k',
  'arn:aws:s3:::b/kk',
  'arn:aws:s3:::B/k',
  'arn:aws:s3:::c/k',
  `arn:aws:iam::${ACCOUNT}:role/app`,
  `arn:aws:iam::${ACCOUNT}:role/other`,
];

/** A statement as written in a policy document (the JSON shape AWS returns). */
type RawStatement = Record<string, unknown>;

/** A field that IAM accepts as a single string or an array of strings. */
const stringOrList = (values: readonly string[]) =>
  fc.oneof(
    fc.constantFrom(...values),
    fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }),
  );

const CONDITION = { Bool: { 'aws:MultiFactorAuthPresent': 'true' } };

const rawStatement: fc.Arbitrary<RawStatement> = fc
  .record(
    {
      Sid: fc.constantFrom('One', 'Two'),
      Effect: fc.constantFrom('Allow', 'Deny'),
      actionField: fc.constantFrom('Action', 'NotAction'),
      actions: stringOrList(ACTION_PATTERNS),
      resourceField: fc.constantFrom('Resource', 'Resource', 'NotResource', 'none'),
      resources: stringOrList(RESOURCE_PATTERNS),
      conditional: fc.nat(3).map((n) => n === 0),
    },
    { requiredKeys: ['Effect', 'actionField', 'actions', 'resourceField', 'resources', 'conditional'] },
  )
  .map(({ Sid, Effect, actionField, actions, resourceField, resources, conditional }) => {
    const statement: RawStatement = { Effect, [actionField]: actions };
    if (Sid !== undefined) statement.Sid = Sid;
    if (resourceField !== 'none') statement[resourceField] = resources;
    // Most statements are condition-free; a conditional one is never a standing grant or deny.
    if (conditional) statement.Condition = CONDITION;
    return statement;
  });

const rawDocument = fc.array(rawStatement, { minLength: 1, maxLength: 5 }).chain((statements) =>
  fc.constantFrom(
    { Version: '2012-10-17', Statement: statements },
    // A lone statement may be written without the array.
    { Version: '2012-10-17', Statement: statements.length === 1 ? statements[0] : statements },
  ),
);

// ------------------------------------------------------------------------------------ reference

/** IAM glob matching, written independently of the code under test: `*` any run, `?` one character. */
function globMatches(pattern: string, value: string): boolean {
  // match[i][j]: pattern[0..i) matches value[0..j)
  let previous: boolean[] = [true, ...Array.from({ length: value.length }, () => false)];
  for (let i = 1; i <= pattern.length; i++) {
    const p = pattern[i - 1];
    const row: boolean[] = [p === '*' && previous[0] === true];
    for (let j = 1; j <= value.length; j++) {
      if (p === '*') row[j] = previous[j] === true || row[j - 1] === true;
      else if (p === '?') row[j] = previous[j - 1] === true;
      else row[j] = previous[j - 1] === true && p === value[j - 1];
    }
    previous = row;
  }
  return previous[value.length] === true;
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as string[]) : [value as string];
}

function statementsOf(document: Record<string, unknown>): RawStatement[] {
  const statement = document.Statement;
  return Array.isArray(statement) ? (statement as RawStatement[]) : [statement as RawStatement];
}

/** Does a raw statement apply to a concrete action on a concrete resource (conditions aside)? */
function applies(statement: RawStatement, action: string, resource: string): boolean {
  const actionMatch = (p: string) => globMatches(p.toLowerCase(), action.toLowerCase());
  const actionOk =
    statement.Action !== undefined
      ? list(statement.Action).some(actionMatch)
      : !list(statement.NotAction).some(actionMatch);
  const resourceMatch = (p: string) => globMatches(p, resource);
  let resourceOk: boolean;
  if (statement.Resource !== undefined) resourceOk = list(statement.Resource).some(resourceMatch);
  else if (statement.NotResource !== undefined) resourceOk = !list(statement.NotResource).some(resourceMatch);
  // A statement without Resource or NotResource is not valid in an identity policy: it grants nothing.
  else resourceOk = false;
  return actionOk && resourceOk;
}

interface Applying {
  policy: string;
  index: number;
  statement: RawStatement;
}

function applying(
  policies: readonly { name: string; document: Record<string, unknown> }[],
  action: string,
  resource: string,
): Applying[] {
  return policies.flatMap(({ name, document }) =>
    statementsOf(document).flatMap((statement, index) =>
      applies(statement, action, resource) ? [{ policy: name, index, statement }] : [],
    ),
  );
}

const isConditional = (a: Applying) => a.statement.Condition !== undefined;
const isAllow = (a: Applying) => a.statement.Effect === 'Allow';

interface ReferenceDecision {
  decision: Decision['decision'];
  /** For `allowed`: the standing grants (identity statements, then boundary statements). */
  granting: string[];
  /** Conditional Deny statements that apply, when the decision is allowed or conditional. */
  conditionalDenies: string[];
}

const keyOf = (a: { policy: string; index: number }) => `${a.policy}#${a.index}`;

function referenceDecision(
  identity: readonly { name: string; document: Record<string, unknown> }[],
  boundary: { name: string; document: Record<string, unknown> } | undefined,
  action: string,
  resource: string,
): ReferenceDecision {
  const own = applying(identity, action, resource);
  const capped = boundary ? applying([boundary], action, resource) : [];
  const denies = [...own, ...capped].filter((a) => !isAllow(a));
  const none = { granting: [], conditionalDenies: [] };
  if (denies.some((a) => !isConditional(a))) return { decision: 'denied', ...none };
  const grants = own.filter(isAllow);
  if (grants.length === 0) return { decision: 'implicit-deny', ...none };
  const permits = capped.filter(isAllow);
  if (boundary && permits.length === 0) return { decision: 'implicit-deny', ...none };
  const firm = grants.filter((a) => !isConditional(a));
  const firmPermits = permits.filter((a) => !isConditional(a));
  const conditionalDenies = denies.map(keyOf).sort();
  if (firm.length > 0 && (!boundary || firmPermits.length > 0)) {
    return { decision: 'allowed', granting: [...firm, ...firmPermits].map(keyOf).sort(), conditionalDenies };
  }
  return { decision: 'conditional', granting: [], conditionalDenies };
}

// --------------------------------------------------------------------------------- subject setup

function managedPolicy(name: string, document: PolicyDocument): ManagedPolicy {
  return { arn: `arn:aws:iam::${ACCOUNT}:policy/${name}`, name, document, awsManaged: false };
}

/** A role holding the first document inline and the others as attached managed policies. */
function roleWith(documents: readonly Record<string, unknown>[], boundary?: Record<string, unknown>) {
  const [first, ...rest] = documents;
  return aRole({
    inlinePolicies: first ? [{ name: 'p0', document: parsePolicyDocument(first) }] : [],
    managedPolicies: rest.map((document, i) => managedPolicy(`p${i + 1}`, parsePolicyDocument(document))),
    ...(boundary ? { permissionsBoundary: managedPolicy('boundary', parsePolicyDocument(boundary)) } : {}),
  });
}

const refKey = (ref: { policyName: string; statementIndex: number }) =>
  `${ref.policyName}#${ref.statementIndex}`;

// ------------------------------------------------------------------------------------ properties

describe('policy parser on arbitrary input', () => {
  /** The parser's contract: a parsed document in normal form, or a PolicyParseError naming a path. */
  function parsesOrNamesThePath(input: unknown): void {
    let document: PolicyDocument;
    try {
      document = parsePolicyDocument(input);
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyParseError);
      const parseError = error as PolicyParseError;
      expect(parseError.name).toBe('PolicyParseError');
      expect(parseError.path.startsWith('$')).toBe(true);
      expect(parseError.message).toBe(`${parseError.problem} at ${parseError.path}`);
      return;
    }
    expect(Array.isArray(document.statements)).toBe(true);
    document.statements.forEach((statement, index) => {
      expect(statement.index).toBe(index);
      expect(['Allow', 'Deny']).toContain(statement.effect);
      expect((statement.actions === undefined) !== (statement.notActions === undefined)).toBe(true);
      for (const field of [
        statement.actions,
        statement.notActions,
        statement.resources,
        statement.notResources,
      ]) {
        if (field !== undefined) expect(field.every((value) => typeof value === 'string')).toBe(true);
      }
      for (const condition of statement.conditions) {
        expect(condition.values.every((value) => typeof value === 'string')).toBe(true);
      }
    });
  }

  it('parses any JSON value or rejects it with a PolicyParseError', () => {
    fc.assert(fc.property(fc.jsonValue(), parsesOrNamesThePath), { numRuns: 500 });
  });

  it('parses any string (JSON, URL-encoded or neither) or rejects it with a PolicyParseError', () => {
    const text = fc.oneof(
      fc.json(),
      fc.json().map(encodeURIComponent),
      fc.string(),
      fc.string({ unit: 'binary' }),
      rawDocument.map((document) => encodeURIComponent(JSON.stringify(document))),
    );
    fc.assert(fc.property(text, parsesOrNamesThePath), { numRuns: 500 });
  });

  it('parses documents whose fields hold values of any type, or names the field that is wrong', () => {
    // Documents that look like policies, so the random values reach the statement's fields.
    const anything = fc.jsonValue({ maxDepth: 2 });
    const statement = fc.record(
      {
        Sid: fc.oneof(fc.string(), anything),
        Effect: fc.oneof(fc.constantFrom('Allow', 'Deny'), anything),
        Action: fc.oneof(stringOrList(ACTION_PATTERNS), anything),
        NotAction: fc.oneof(stringOrList(ACTION_PATTERNS), anything),
        Resource: fc.oneof(stringOrList(RESOURCE_PATTERNS), anything),
        NotResource: anything,
        Principal: fc.oneof(
          fc.constant('*'),
          fc.dictionary(fc.constantFrom('AWS', 'Service', 'Federated', 'CanonicalUser', 'Other'), anything),
          anything,
        ),
        Condition: fc.oneof(
          fc.dictionary(
            fc.constantFrom(
              'StringEquals',
              'ForAnyValue:StringLike',
              'Bool',
              'Nope:StringEquals',
              'IfExists',
            ),
            fc.oneof(fc.dictionary(fc.string(), anything), anything),
          ),
          anything,
        ),
      },
      { requiredKeys: [] },
    );
    const document = fc.record(
      {
        Version: fc.oneof(fc.constant('2012-10-17'), anything),
        Statement: fc.oneof(statement, fc.array(fc.oneof(statement, anything), { maxLength: 4 }), anything),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(document, (input) => {
        parsesOrNamesThePath(input);
        try {
          parsePolicyDocument(input);
        } catch (error) {
          // A problem inside a statement is reported at that statement.
          const path = (error as PolicyParseError).path;
          if (Array.isArray(input.Statement) && path.startsWith('$.Statement')) {
            expect(path).toMatch(/^\$\.Statement\[\d+\]/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('policy evaluation against the reference', () => {
  it('decides every action on every resource as the reference does (identity policies)', () => {
    fc.assert(
      fc.property(
        fc.array(rawDocument, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...ACTIONS),
        fc.constantFrom(...RESOURCES),
        (documents, action, resource) => {
          const policies = principalPolicies(roleWith(documents));
          const named = documents.map((document, i) => ({ name: `p${i}`, document }));
          const expected = referenceDecision(named, undefined, action, resource);
          const actual = evaluate(policies, action, resource);
          expect(actual.decision).toBe(expected.decision);
          if (expected.decision === 'allowed') {
            expect(actual.statements.map(refKey).sort()).toEqual(expected.granting);
          }
          if (expected.decision === 'allowed' || expected.decision === 'conditional') {
            expect(actual.conditionalDenies.map(refKey).sort()).toEqual(expected.conditionalDenies);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('lets a permissions boundary only narrow what the identity policies grant', () => {
    fc.assert(
      fc.property(
        fc.array(rawDocument, { minLength: 1, maxLength: 2 }),
        rawDocument,
        fc.constantFrom(...ACTIONS),
        fc.constantFrom(...RESOURCES),
        (documents, boundary, action, resource) => {
          const named = documents.map((document, i) => ({ name: `p${i}`, document }));
          const expected = referenceDecision(
            named,
            { name: 'boundary', document: boundary },
            action,
            resource,
          );
          const actual = evaluatePrincipal(roleWith(documents, boundary), action, resource);
          // Whether a Deny of the boundary or the absence of a grant refused it is evidence, not the answer.
          const answer = (d: string) => (d === 'denied' ? 'implicit-deny' : d);
          expect(answer(actual.decision)).toBe(answer(expected.decision));
          if (expected.decision === 'allowed') {
            expect(actual.statements.map(refKey).sort()).toEqual(expected.granting);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives the same answer for a single string and a one-element array', () => {
    fc.assert(
      fc.property(
        rawStatement,
        fc.constantFrom(...ACTIONS),
        fc.constantFrom(...RESOURCES),
        (statement, action, resource) => {
          const asArrays: RawStatement = { ...statement };
          for (const field of ['Action', 'NotAction', 'Resource', 'NotResource']) {
            if (typeof asArrays[field] === 'string') asArrays[field] = [asArrays[field]];
          }
          const one = evaluatePrincipal(roleWith([{ Statement: statement }]), action, resource);
          const other = evaluatePrincipal(roleWith([{ Statement: [asArrays] }]), action, resource);
          expect(one.decision).toBe(other.decision);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('privilege analysis', () => {
  const openPaths = (documents: readonly Record<string, unknown>[]) => {
    const analysis = analyzePrincipal(roleWith(documents));
    return {
      admin: analysis.admin.status,
      paths: analysis.paths.filter((p) => p.status === 'open').map((p) => p.path.id),
    };
  };

  /**
   * The documents with one more statement in the inline policy. Not as a new managed policy: an
   * attached customer managed policy is itself a target the principal may be able to rewrite.
   */
  const withStatement = (documents: readonly Record<string, unknown>[], extra: RawStatement) => {
    const [first, ...rest] = documents;
    return [{ ...first, Statement: [...statementsOf(first ?? {}), extra] }, ...rest];
  };

  it('never gains an open escalation path or administrator access from an added Deny', () => {
    const deny = rawStatement.map((statement) => ({ ...statement, Effect: 'Deny' }));
    fc.assert(
      fc.property(fc.array(rawDocument, { minLength: 1, maxLength: 2 }), deny, (documents, extra) => {
        const before = openPaths(documents);
        const after = openPaths(withStatement(documents, extra));
        if (after.admin === 'admin') expect(before.admin).toBe('admin');
        // A principal that held full access lists no paths (nothing left to escalate to).
        if (before.admin !== 'admin') for (const id of after.paths) expect(before.paths).toContain(id);
      }),
      { numRuns: 300 },
    );
  });

  it('never loses administrator access or an open path by an added unconditional Allow', () => {
    const allow = rawStatement.map(({ Condition: _dropped, ...statement }) => ({
      ...statement,
      Effect: 'Allow',
    }));
    fc.assert(
      fc.property(fc.array(rawDocument, { minLength: 1, maxLength: 2 }), allow, (documents, extra) => {
        const before = openPaths(documents);
        const after = openPaths(withStatement(documents, extra));
        if (before.admin === 'admin') expect(after.admin).toBe('admin');
        else if (after.admin !== 'admin') for (const id of before.paths) expect(after.paths).toContain(id);
      }),
      { numRuns: 300 },
    );
  });

  it('finds no open path and no administrator access behind an unconditional Deny of everything', () => {
    fc.assert(
      fc.property(fc.array(rawDocument, { minLength: 1, maxLength: 3 }), (documents) => {
        const after = openPaths(withStatement(documents, { Effect: 'Deny', Action: '*', Resource: '*' }));
        expect(after).toEqual({ admin: 'none', paths: [] });
      }),
      { numRuns: 200 },
    );
  });
});
