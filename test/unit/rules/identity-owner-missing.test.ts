import { describe, expect, it } from 'vitest';
import type { RoleSnapshot, SecretSnapshot, UserSnapshot } from '../../../functions/core/model';
import type { RuleResult } from '../../../functions/core/rule';
import { identityOwnerMissing } from '../../../functions/core/rules/identity-owner-missing';
import {
  ACCOUNT_ID,
  aContext,
  anAccessKey,
  anInventory,
  aRole,
  aSecret,
  aUser,
  someCredentials,
  theRootUser,
} from '../../support/builders';

const PATTERNS = [
  { arn: `arn:aws:iam::${ACCOUNT_ID}:role/ci-*`, owner: 'platform' },
  { arn: `arn:aws:secretsmanager:*:${ACCOUNT_ID}:secret:payments/*`, owner: 'payments' },
];
const ctx = aContext({ ownership: { tagKeys: ['owner', 'team', 'contact'], patterns: PATTERNS } });
const status = (result: RuleResult) => result.status;
const evaluate = (identity: RoleSnapshot | UserSnapshot | SecretSnapshot) =>
  identityOwnerMissing.evaluate(identity, ctx);

describe('identity-owner-missing', () => {
  it.each<[string, RoleSnapshot | UserSnapshot | SecretSnapshot, RuleResult['status']]>([
    ['a role tagged owner', aRole({ tags: { owner: 'alice' } }), 'pass'],
    ['a role tagged Team (key case differs)', aRole({ tags: { Team: 'payments' } }), 'pass'],
    ['a role with an empty owner tag and nothing else', aRole({ tags: { owner: '' } }), 'fail'],
    ['a role with an empty owner tag and a team tag', aRole({ tags: { owner: ' ', team: 'ops' } }), 'pass'],
    ['a role with unrelated tags', aRole({ tags: { Name: 'app', CostCenter: '42' } }), 'fail'],
    ['a role matched by a pattern', aRole({ name: 'ci-deploy' }), 'pass'],
    [
      'a role the pattern does not reach (another path)',
      aRole({ name: 'ci-deploy', path: '/team/' }),
      'fail',
    ],
    [
      'a service-linked role',
      aRole({ name: 'AWSServiceRoleForSupport', path: '/aws-service-role/support.amazonaws.com/' }),
      'not-applicable',
    ],
    [
      'an IAM Identity Center role',
      aRole({ name: 'AWSReservedSSO_Admin_0123', path: '/aws-reserved/sso.amazonaws.com/' }),
      'not-applicable',
    ],
    [
      'an untagged user with an access key',
      aUser({ credentials: someCredentials({ accessKeys: [anAccessKey()] }) }),
      'fail',
    ],
    ['a user tagged contact', aUser({ tags: { CONTACT: 'ops@example.com' } }), 'pass'],
    [
      'a console user with a password and no active key',
      aUser({
        credentials: someCredentials({ passwordEnabled: true, accessKeys: [anAccessKey({ active: false })] }),
      }),
      'not-applicable',
    ],
    [
      'a user with a password and an active key (a workload too)',
      aUser({ credentials: someCredentials({ passwordEnabled: true, accessKeys: [anAccessKey()] }) }),
      'fail',
    ],
    ['a user missing from the credential report', aUser({ credentials: undefined }), 'not-applicable'],
    ['a role whose tags could not be read', aRole({ tagsUnread: true }), 'not-applicable'],
    [
      'a role whose tags could not be read, matched by a pattern',
      aRole({ name: 'ci-x', tagsUnread: true }),
      'pass',
    ],
    [
      'a secret whose tags could not be read',
      aSecret({ tags: { team: '' }, tagsUnread: true }),
      'not-applicable',
    ],
    ['the root user', theRootUser(), 'not-applicable'],
    ['a secret tagged owner', aSecret({ tags: { owner: 'dba' } }), 'pass'],
    ['a secret matched by a pattern', aSecret({ name: 'payments/stripe' }), 'pass'],
    ['an untagged secret', aSecret({ name: 'prod/db' }), 'fail'],
  ])('%s: %s', (_name, identity, expected) => {
    expect(status(evaluate(identity))).toBe(expected);
  });

  it('says which tags it looked for, which were empty and how many patterns it tried', () => {
    const result = evaluate(aRole({ name: 'orphan', tags: { Owner: '', team: ' ', Name: 'x' } }));
    expect(result).toEqual({
      status: 'fail',
      reason:
        'Role orphan has no owner: no non-empty tag owner, team, contact (Owner, team present but empty), and no match among 2 ownership patterns.',
      evidence: {
        tagKeys: ['owner', 'team', 'contact'],
        emptyOwnerTags: ['Owner', 'team'],
        patternsChecked: 2,
      },
    });
  });

  it('says when no pattern is configured', () => {
    const result = identityOwnerMissing.evaluate(aSecret({ name: 'prod/db' }), aContext());
    expect(result.status === 'fail' && result.reason).toBe(
      'Secret prod/db has no owner: no non-empty tag owner, team, contact, and no ownership pattern is configured.',
    );
  });

  it('honours configured tag keys only', () => {
    const custom = aContext({ ownership: { tagKeys: ['app:owner'], patterns: [] } });
    expect(identityOwnerMissing.evaluate(aRole({ tags: { owner: 'alice' } }), custom).status).toBe('fail');
    expect(identityOwnerMissing.evaluate(aRole({ tags: { 'App:Owner': 'alice' } }), custom).status).toBe(
      'pass',
    );
  });

  it('passes the user of an owned user’s access key, through the inventory the engine reads', () => {
    const alice = aUser({ name: 'alice', tags: { owner: 'team-payments' } });
    const withInventory = aContext({ inventory: anInventory({ users: [alice] }) });
    expect(identityOwnerMissing.evaluate(alice, withInventory).status).toBe('pass');
    expect(withInventory.ownerOf(anAccessKey({ userName: 'alice' }))).toEqual({
      id: 'team-payments',
      source: 'tag:owner',
    });
  });
});
