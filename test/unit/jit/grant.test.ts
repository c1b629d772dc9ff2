import { describe, expect, it } from 'vitest';
import {
  checkInlineQuota,
  GrantError,
  grantHash,
  grantIdOfPolicyName,
  grantInstant,
  grantPolicyName,
  grantWindowOf,
  INLINE_POLICY_QUOTA,
  inlinePolicySize,
  statementsOfDocument,
  timeBoundedDocument,
} from '../../../functions/core/jit/grant';
import { ROLE } from './builders';

const START = '2026-12-03T10:00:00Z';
const END = '2026-12-03T11:30:00Z';

describe('grantPolicyName and grantIdOfPolicyName', () => {
  it('names the policy by the grant id, and reads the id back', () => {
    const id = '0f8e2c1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
    expect(grantPolicyName(id)).toBe(`iam-posture-jit-${id}`);
    expect(grantIdOfPolicyName(grantPolicyName(id))).toBe(id);
  });

  it('keeps the longest id within IAM’s 128 characters', () => {
    const id = 'a'.repeat(64);
    expect(grantPolicyName(id).length).toBe(80);
    expect(() => grantPolicyName('a'.repeat(65))).toThrow(GrantError);
  });

  it.each(['', 'ABC', 'a b', '-abc', 'a/b', 'a'.repeat(65)])('refuses the grant id %j', (id) => {
    expect(() => grantPolicyName(id)).toThrow(/grant id/);
  });

  it.each(['iam-posture-jit-', 'iam-posture-jit-ABC', 'other-policy', 'iam-posture-JIT-abc'])(
    'finds no grant id in %j',
    (name) => {
      expect(grantIdOfPolicyName(name)).toBeUndefined();
    },
  );
});

describe('grantHash', () => {
  const grant = {
    profile: 'db-admin',
    principalArn: ROLE,
    statements: [
      { Effect: 'Allow', Action: 'rds:*', Resource: '*' },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
    ],
    startsAt: START,
    endsAt: END,
    breakGlass: false,
  };

  it('is sha256 hex, and the same for the same grant', () => {
    expect(grantHash(grant)).toMatch(/^[0-9a-f]{64}$/);
    expect(grantHash(structuredClone(grant))).toBe(grantHash(grant));
  });

  it('does not depend on the order of object keys, at any level', () => {
    const reordered = {
      breakGlass: false,
      endsAt: END,
      startsAt: START,
      statements: [
        { Resource: '*', Action: 'rds:*', Effect: 'Allow' },
        { Resource: 'arn:aws:s3:::b/*', Effect: 'Allow', Action: 's3:GetObject' },
      ],
      principalArn: ROLE,
      profile: 'db-admin',
    };
    expect(grantHash(reordered)).toBe(grantHash(grant));
  });

  it.each([
    ['statement order', { statements: [grant.statements[1]!, grant.statements[0]!] }],
    ['a statement', { statements: [grant.statements[0]!] }],
    ['the principal', { principalArn: `${ROLE}2` }],
    ['the profile', { profile: 'db-admin2' }],
    ['the start', { startsAt: '2026-12-03T10:00:01Z' }],
    ['the end', { endsAt: '2026-12-03T11:30:01Z' }],
    ['break-glass', { breakGlass: true }],
    [
      'an action list',
      { statements: [{ ...grant.statements[0]!, Action: ['rds:*'] }, grant.statements[1]!] },
    ],
  ])('changes with %s', (_what, change) => {
    expect(grantHash({ ...grant, ...change })).not.toBe(grantHash(grant));
  });

  it('ignores fields outside the grant', () => {
    expect(grantHash({ ...grant, reason: 'other' } as typeof grant)).toBe(grantHash(grant));
  });
});

describe('grantInstant', () => {
  it('writes UTC with second precision, dropping the milliseconds', () => {
    expect(grantInstant(new Date('2026-12-03T10:00:59.999Z'))).toBe('2026-12-03T10:00:59Z');
  });
});

describe('timeBoundedDocument', () => {
  it('bounds every statement by aws:CurrentTime with the literal instants', () => {
    const document = timeBoundedDocument(
      [
        { Effect: 'Allow', Action: 'rds:*', Resource: '*' },
        { Effect: 'Deny', Action: 'rds:DeleteDBInstance', Resource: '*' },
      ],
      START,
      END,
    );
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'rds:*',
          Resource: '*',
          Condition: {
            DateGreaterThan: { 'aws:CurrentTime': START },
            DateLessThan: { 'aws:CurrentTime': END },
          },
        },
        {
          Effect: 'Deny',
          Action: 'rds:DeleteDBInstance',
          Resource: '*',
          Condition: {
            DateGreaterThan: { 'aws:CurrentTime': START },
            DateLessThan: { 'aws:CurrentTime': END },
          },
        },
      ],
    });
  });

  it('merges the bounds with the statement’s own conditions, also under the same operator', () => {
    const statement = {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: '*',
      Condition: {
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
        DateGreaterThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' },
      },
    };
    const [bounded] = timeBoundedDocument([statement], START, END).Statement;
    expect(bounded!.Condition).toEqual({
      Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      DateGreaterThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z', 'aws:CurrentTime': START },
      DateLessThan: { 'aws:CurrentTime': END },
    });
    // The input is left as it was.
    expect(statement.Condition).toEqual({
      Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      DateGreaterThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' },
    });
  });

  it.each([
    ['DateLessThan', 'aws:CurrentTime'],
    ['DateGreaterThanEquals', 'aws:currenttime'],
    ['DateNotEquals', 'AWS:CurrentTime'],
  ])('refuses a statement that already bounds the time (%s %s), never widening it', (operator, key) => {
    const statement = {
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { [operator]: { [key]: '2030-01-01T00:00:00Z' } },
    };
    expect(() => timeBoundedDocument([statement], START, END)).toThrow(GrantError);
    expect(() => timeBoundedDocument([statement], START, END)).toThrow(
      `Statement[0].Condition.${operator}.${key} already limits the time`,
    );
  });

  it.each([
    ['2026-12-03T10:00:00.000Z', END, 'startsAt'],
    [START, '2026-12-03T11:30', 'endsAt'],
    [END, START, 'before or when it starts'],
    [START, START, 'before or when it starts'],
  ])('refuses the window %s - %s', (startsAt, endsAt, problem) => {
    expect(() =>
      timeBoundedDocument([{ Effect: 'Allow', Action: '*', Resource: '*' }], startsAt, endsAt),
    ).toThrow(problem);
  });

  it('refuses no statements and a statement that is not an object', () => {
    expect(() => timeBoundedDocument([], START, END)).toThrow('at least one statement');
    expect(() => timeBoundedDocument(['x' as never], START, END)).toThrow('Statement[0] is not an object');
    expect(() =>
      timeBoundedDocument([{ Effect: 'Allow', Action: '*', Resource: '*', Condition: 'x' }], START, END),
    ).toThrow('Statement[0].Condition is not an object');
  });
});

describe('grantWindowOf', () => {
  const bounded = timeBoundedDocument(
    [
      {
        Effect: 'Allow',
        Action: 'rds:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
    ],
    START,
    END,
  );

  it('reads back the window the grant wrote, from an object, JSON or URL-encoded JSON', () => {
    const window = { startsAt: START, endsAt: END };
    expect(grantWindowOf(bounded)).toEqual(window);
    expect(grantWindowOf(JSON.stringify(bounded))).toEqual(window);
    expect(grantWindowOf(encodeURIComponent(JSON.stringify(bounded)))).toEqual(window);
  });

  it('is undefined when a statement lacks a bound', () => {
    const document = structuredClone(bounded);
    delete (document.Statement[1]!.Condition as Record<string, unknown>).DateLessThan;
    expect(grantWindowOf(document)).toBeUndefined();
  });

  it('is undefined when the statements disagree', () => {
    const document = structuredClone(bounded);
    (document.Statement[1]!.Condition as Record<string, Record<string, string>>).DateLessThan![
      'aws:CurrentTime'
    ] = '2026-12-03T12:00:00Z';
    expect(grantWindowOf(document)).toBeUndefined();
  });

  it('is undefined when a bound is a list (values are ORed: it could widen the window)', () => {
    const document = structuredClone(bounded);
    (document.Statement[0]!.Condition as Record<string, Record<string, unknown>>).DateLessThan![
      'aws:CurrentTime'
    ] = [END, '2099-01-01T00:00:00Z'];
    expect(grantWindowOf(document)).toBeUndefined();
  });

  it('is undefined for an IfExists bound, a document that is not a policy, and no statements', () => {
    const ifExists = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: {
            DateGreaterThanIfExists: { 'aws:CurrentTime': START },
            DateLessThan: { 'aws:CurrentTime': END },
          },
        },
      ],
    };
    expect(grantWindowOf(ifExists)).toBeUndefined();
    expect(grantWindowOf('not json')).toBeUndefined();
    expect(grantWindowOf({ Version: '2012-10-17', Statement: [] })).toBeUndefined();
    expect(
      grantWindowOf({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    ).toBe(undefined);
  });
});

describe('inlinePolicySize and checkInlineQuota', () => {
  it('counts characters without whitespace, as IAM does', () => {
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const compact = JSON.stringify(document);
    expect(inlinePolicySize(document)).toBe(compact.length);
    expect(inlinePolicySize(JSON.stringify(document, null, 4))).toBe(compact.length);
    expect(inlinePolicySize(encodeURIComponent(JSON.stringify(document, null, 2)))).toBe(compact.length);
  });

  /** A document of exactly `size` characters (whitespace not counted). */
  function documentOfSize(size: number): string {
    const base =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"x"}]}';
    const padded = base.replace('"x"', `"${'x'.repeat(size - base.length + 1)}"`);
    expect(inlinePolicySize(padded)).toBe(size);
    return padded;
  }

  it('allows a role exactly at 10,240 characters and refuses one more', () => {
    const existing = [{ name: 'a', document: documentOfSize(6000) }];
    expect(checkInlineQuota('role', existing, documentOfSize(4240))).toEqual({
      ok: true,
      used: 10240,
      limit: 10240,
    });
    const over = checkInlineQuota('role', existing, documentOfSize(4241));
    expect(over).toMatchObject({ ok: false, used: 10241, limit: 10240 });
    expect(over.ok ? '' : over.reason).toBe(
      "the grant needs 4241 characters, and the role's 1 inline policy already take 6000 of the 10240 IAM allows for all of a role's inline policies (whitespace not counted)",
    );
  });

  it('does not count whitespace against the quota', () => {
    const spaced = `  ${documentOfSize(2048).replace(/,/g, ',\n    ')}  `;
    expect(checkInlineQuota('user', [], spaced)).toEqual({ ok: true, used: 2048, limit: 2048 });
  });

  it('uses 2,048 for a user, over all its inline policies', () => {
    expect(INLINE_POLICY_QUOTA).toEqual({ role: 10240, user: 2048 });
    const result = checkInlineQuota(
      'user',
      [
        { name: 'a', document: documentOfSize(1000) },
        { name: 'b', document: documentOfSize(1000) },
      ],
      documentOfSize(100),
    );
    expect(result).toMatchObject({ ok: false, used: 2100, limit: 2048 });
    expect(result.ok ? '' : result.reason).toContain("the user's 2 inline policies already take 2000");
  });
});

describe('statementsOfDocument', () => {
  const statements = [
    { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/*' },
    {
      Effect: 'Deny',
      NotAction: 's3:*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ];
  const document = { Version: '2012-10-17', Statement: statements };

  it('copies the statements as written, from an object, JSON or URL-encoded JSON', () => {
    expect(statementsOfDocument(document)).toEqual(statements);
    expect(statementsOfDocument(JSON.stringify(document))).toEqual(statements);
    expect(statementsOfDocument(encodeURIComponent(JSON.stringify(document)))).toEqual(statements);
    const copy = statementsOfDocument(document);
    (copy[0] as { Sid: string }).Sid = 'changed';
    expect(statements[0]!.Sid).toBe('Read');
  });

  it('reads a single statement as a list of one', () => {
    expect(statementsOfDocument({ Version: '2012-10-17', Statement: statements[0] })).toEqual([
      statements[0],
    ]);
  });

  it('refuses a document IAM would not accept, naming where', () => {
    expect(() => statementsOfDocument({ Statement: [{ Effect: 'Allow', Resource: '*' }] })).toThrow(
      'statement has neither Action nor NotAction at $.Statement[0]',
    );
    expect(() => statementsOfDocument('%E0%A4%A')).toThrow(/neither JSON nor URL-encoded JSON/);
  });
});
