import { describe, expect, it } from 'vitest';
import { PolicyParseError, parsePolicyDocument } from '../../functions/core/policy/parse';

const adminDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Admin', Effect: 'Allow', Action: '*', Resource: '*' }],
};

function parseError(input: unknown): PolicyParseError {
  try {
    parsePolicyDocument(input);
  } catch (error) {
    if (error instanceof PolicyParseError) return error;
    throw error;
  }
  throw new Error('expected a PolicyParseError');
}

describe('parsePolicyDocument', () => {
  describe('document forms', () => {
    const expected = {
      version: '2012-10-17',
      statements: [
        { sid: 'Admin', effect: 'Allow', actions: ['*'], resources: ['*'], conditions: [], index: 0 },
      ],
    };

    it('reads a JSON object (AWS CLI output)', () => {
      expect(parsePolicyDocument(adminDocument)).toEqual(expected);
    });

    it('reads a JSON string', () => {
      expect(parsePolicyDocument(`  ${JSON.stringify(adminDocument, null, 2)}\n`)).toEqual(expected);
    });

    it('reads a URL-encoded JSON string (raw IAM API)', () => {
      const encoded = encodeURIComponent(JSON.stringify(adminDocument, null, 2));
      expect(encoded.startsWith('%7B')).toBe(true);
      expect(parsePolicyDocument(encoded)).toEqual(expected);
    });

    it('keeps a literal plus sign of a URL-encoded document (RFC 3986, not form encoding)', () => {
      const json = JSON.stringify({
        Statement: {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalTag/owner': 'team+infra@example.com' } },
        },
      });
      const encoded = encodeURIComponent(json).replace(/%2B/g, '+');
      expect(encoded).toContain('team+infra');
      const document = parsePolicyDocument(encoded);
      expect(document.statements[0]?.conditions[0]?.values).toEqual(['team+infra@example.com']);
      expect(parsePolicyDocument(encodeURIComponent(json)).statements[0]?.conditions[0]?.values).toEqual([
        'team+infra@example.com',
      ]);
    });

    it('keeps encoded spaces inside values', () => {
      const json = JSON.stringify({ Statement: { Sid: 'With space', Effect: 'Deny', Action: 'x:Y' } });
      expect(parsePolicyDocument(encodeURIComponent(json)).statements[0]?.sid).toBe('With space');
    });

    it('omits version when the document has none', () => {
      const document = parsePolicyDocument({ Statement: [] });
      expect(document).toEqual({ statements: [] });
      expect('version' in document).toBe(false);
    });
  });

  describe('single values and arrays', () => {
    it('accepts a single Statement object', () => {
      const document = parsePolicyDocument({ Statement: { Effect: 'Deny', Action: 's3:*', Resource: '*' } });
      expect(document.statements).toHaveLength(1);
      expect(document.statements[0]).toMatchObject({ effect: 'Deny', actions: ['s3:*'], index: 0 });
    });

    it('normalizes Action, NotAction, Resource and NotResource to arrays', () => {
      const document = parsePolicyDocument({
        Statement: [
          { Effect: 'Allow', Action: 'iam:PassRole', Resource: ['arn:a', 'arn:b'] },
          { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], NotResource: 'arn:c' },
        ],
      });
      expect(document.statements[0]).toMatchObject({
        actions: ['iam:PassRole'],
        resources: ['arn:a', 'arn:b'],
      });
      expect(document.statements[0]?.notActions).toBeUndefined();
      expect(document.statements[1]).toMatchObject({
        notActions: ['iam:*', 'organizations:*'],
        notResources: ['arn:c'],
        index: 1,
      });
      expect(document.statements[1]?.actions).toBeUndefined();
      expect(document.statements[1]?.resources).toBeUndefined();
    });
  });

  describe('principals', () => {
    const trust = (principal: unknown, key = 'Principal') =>
      parsePolicyDocument({ Statement: { Effect: 'Allow', Action: 'sts:AssumeRole', [key]: principal } })
        .statements[0]!;

    it.each([
      ['"*"', '*', [{ kind: 'any' }]],
      ['{AWS: "*"}', { AWS: '*' }, [{ kind: 'any' }]],
      ['{AWS: ["*"]}', { AWS: ['*'] }, [{ kind: 'any' }]],
      ['an account id', { AWS: '999999999999' }, [{ kind: 'aws', value: '999999999999' }]],
      [
        'an account root ARN',
        { AWS: 'arn:aws:iam::999999999999:root' },
        [{ kind: 'aws', value: 'arn:aws:iam::999999999999:root' }],
      ],
      [
        'a service',
        { Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'] },
        [
          { kind: 'service', value: 'lambda.amazonaws.com' },
          { kind: 'service', value: 'ec2.amazonaws.com' },
        ],
      ],
      [
        'a federated OIDC provider',
        { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' },
        [
          {
            kind: 'federated',
            value: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
          },
        ],
      ],
      ['a canonical user', { CanonicalUser: 'abc123' }, [{ kind: 'canonical-user', value: 'abc123' }]],
      [
        'several types at once',
        { AWS: ['111111111111', '*'], Service: 'sns.amazonaws.com' },
        [
          { kind: 'aws', value: '111111111111' },
          { kind: 'any' },
          { kind: 'service', value: 'sns.amazonaws.com' },
        ],
      ],
    ])('reads Principal %s', (_label, principal, expected) => {
      expect(trust(principal).principals).toEqual(expected);
    });

    it('reads NotPrincipal separately', () => {
      const statement = trust({ AWS: 'arn:aws:iam::123456789012:role/admin' }, 'NotPrincipal');
      expect(statement.notPrincipals).toEqual([
        { kind: 'aws', value: 'arn:aws:iam::123456789012:role/admin' },
      ]);
      expect(statement.principals).toBeUndefined();
    });

    it('rejects an unknown principal type with its path', () => {
      const error = parseError({
        Statement: [{ Effect: 'Allow', Action: 'a:b', Principal: { Robot: 'x' } }],
      });
      expect(error.path).toBe('$.Statement[0].Principal.Robot');
      expect(error.problem).toBe('unknown principal type "Robot"');
    });

    it('rejects principal types named like Object properties', () => {
      expect(
        parseError({ Statement: { Effect: 'Allow', Action: 'a:b', Principal: { constructor: 'x' } } }).path,
      ).toBe('$.Statement.Principal.constructor');
    });

    it('rejects a Principal that is neither "*" nor an object', () => {
      expect(parseError({ Statement: { Effect: 'Allow', Action: 'a:b', Principal: 'everyone' } }).path).toBe(
        '$.Statement.Principal',
      );
    });
  });

  describe('conditions', () => {
    const conditions = (condition: unknown) =>
      parsePolicyDocument({ Statement: { Effect: 'Allow', Action: 'a:b', Condition: condition } })
        .statements[0]!.conditions;

    it('reads one condition per operator and key, values as strings', () => {
      expect(
        conditions({
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'aws:SourceAccount': 1,
          },
          Bool: { 'aws:SecureTransport': false },
        }),
      ).toEqual([
        {
          raw: 'StringEquals',
          operator: 'StringEquals',
          ifExists: false,
          key: 'token.actions.githubusercontent.com:aud',
          values: ['sts.amazonaws.com'],
        },
        {
          raw: 'StringEquals',
          operator: 'StringEquals',
          ifExists: false,
          key: 'aws:SourceAccount',
          values: ['1'],
        },
        { raw: 'Bool', operator: 'Bool', ifExists: false, key: 'aws:SecureTransport', values: ['false'] },
      ]);
    });

    it('splits ForAllValues: and ForAnyValue: qualifiers', () => {
      const [all, any] = conditions({
        'ForAllValues:StringLike': {
          'token.actions.githubusercontent.com:sub': ['repo:org/a:*', 'repo:org/b:*'],
        },
        'ForAnyValue:StringEquals': { 'aws:TagKeys': 'team' },
      });
      expect(all).toEqual({
        raw: 'ForAllValues:StringLike',
        operator: 'StringLike',
        qualifier: 'ForAllValues',
        ifExists: false,
        key: 'token.actions.githubusercontent.com:sub',
        values: ['repo:org/a:*', 'repo:org/b:*'],
      });
      expect(any).toMatchObject({ operator: 'StringEquals', qualifier: 'ForAnyValue', values: ['team'] });
    });

    it('splits the IfExists suffix, also combined with a qualifier', () => {
      const [plain, qualified] = conditions({
        StringLikeIfExists: { 'aws:PrincipalTag/team': 'ops' },
        'ForAnyValue:ArnLikeIfExists': { 'aws:PrincipalArn': 'arn:aws:iam::*:role/ops-*' },
      });
      expect(plain).toMatchObject({ raw: 'StringLikeIfExists', operator: 'StringLike', ifExists: true });
      expect(plain?.qualifier).toBeUndefined();
      expect(qualified).toMatchObject({
        raw: 'ForAnyValue:ArnLikeIfExists',
        operator: 'ArnLike',
        qualifier: 'ForAnyValue',
        ifExists: true,
      });
    });

    it('does not mistake Null or a bare operator for IfExists', () => {
      expect(conditions({ Null: { 'aws:TokenIssueTime': 'true' } })[0]).toMatchObject({
        operator: 'Null',
        ifExists: false,
      });
    });

    it('rejects an unknown set qualifier instead of dropping it', () => {
      const error = parseError({
        Statement: { Effect: 'Allow', Action: 'a:b', Condition: { 'ForEveryValue:StringLike': { k: 'v' } } },
      });
      expect(error.path).toBe('$.Statement.Condition.ForEveryValue:StringLike');
      expect(error.problem).toContain('unknown condition qualifier');
    });

    it('rejects a condition value that is an object, with the value path', () => {
      const error = parseError({
        Statement: [
          { Effect: 'Allow', Action: 'a:b', Condition: { StringEquals: { k: ['ok', { bad: 1 }] } } },
        ],
      });
      expect(error.path).toBe('$.Statement[0].Condition.StringEquals.k[1]');
    });
  });

  describe('errors carry the JSON path', () => {
    it.each([
      ['a bad Effect', { Statement: [{ Effect: 'allow', Action: 'a:b' }] }, '$.Statement[0].Effect'],
      [
        'a bad Effect in the second statement',
        {
          Statement: [
            { Effect: 'Allow', Action: 'a:b' },
            { Effect: 'Permit', Action: 'a:b' },
          ],
        },
        '$.Statement[1].Effect',
      ],
      ['a missing Effect', { Statement: { Action: 'a:b' } }, '$.Statement.Effect'],
      [
        'Action and NotAction together',
        { Statement: [{ Effect: 'Allow', Action: 'a', NotAction: 'b' }] },
        '$.Statement[0]',
      ],
      ['neither Action nor NotAction', { Statement: [{ Effect: 'Allow', Resource: '*' }] }, '$.Statement[0]'],
      [
        'a non-string action',
        { Statement: [{ Effect: 'Allow', Action: ['a:b', 7] }] },
        '$.Statement[0].Action[1]',
      ],
      [
        'a numeric Resource',
        { Statement: [{ Effect: 'Allow', Action: 'a:b', Resource: 5 }] },
        '$.Statement[0].Resource',
      ],
      ['a missing Statement', { Version: '2012-10-17' }, '$.Statement'],
      ['a non-string Version', { Version: 2012, Statement: [] }, '$.Version'],
      ['a non-object statement', { Statement: ['Allow'] }, '$.Statement[0]'],
      ['a non-string Sid', { Statement: [{ Sid: 1, Effect: 'Allow', Action: 'a:b' }] }, '$.Statement[0].Sid'],
      ['a document that is an array', [adminDocument], '$'],
      ['a document that is null', null, '$'],
    ])('reports %s', (_label, input, path) => {
      const error = parseError(input);
      expect(error.path).toBe(path);
      expect(error.message).toBe(`${error.problem} at ${path}`);
      expect(error.name).toBe('PolicyParseError');
    });

    it('names both Action and NotAction in the problem', () => {
      expect(parseError({ Statement: [{ Effect: 'Allow', Action: 'a', NotAction: 'b' }] }).problem).toBe(
        'statement has both Action and NotAction',
      );
    });

    it('says Effect must be Allow or Deny', () => {
      expect(parseError({ Statement: [{ Effect: 'allow', Action: 'a:b' }] }).message).toBe(
        'Effect must be "Allow" or "Deny" at $.Statement[0].Effect',
      );
    });

    it('reports truncated JSON strings and bad URL encoding, keeping the cause', () => {
      const truncated = parseError('{"Version": "2012-10-17", "Statement": [');
      expect(truncated.path).toBe('$');
      expect(truncated.problem).toMatch(/^policy document is not valid JSON/);
      expect(truncated.cause).toBeInstanceOf(SyntaxError);
      const badEncoding = parseError('%7B%ZZ');
      expect(badEncoding.problem).toBe('policy document is neither JSON nor URL-encoded JSON');
      expect(badEncoding.cause).toBeInstanceOf(URIError);
    });
  });
});
