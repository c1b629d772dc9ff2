import { describe, expect, it } from 'vitest';
import { timeBoundedDocument } from '../../../functions/core/jit/grant';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import { jitGrantLingering } from '../../../functions/core/rules/jit-grant-lingering';
import { aContext, aPolicy, aRole, aUser, NOW } from '../../support/builders';

const ctx = aContext();
const ADMIN = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
const at = (minutesFromNow: number) =>
  new Date(NOW.getTime() + minutesFromNow * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A grant policy as the grant use case writes it, parsed as the scan holds it. */
function grantPolicy(grantId: string, startsIn: number, endsIn: number, statements = ADMIN) {
  return {
    name: `iam-posture-jit-${grantId}`,
    document: parsePolicyDocument(timeBoundedDocument(statements, at(startsIn), at(endsIn))),
  };
}

describe('jit-grant-lingering', () => {
  it.each([
    ['a grant whose window is open', [grantPolicy('g1', -30, 30)], 'pass'],
    ['a grant that has not started yet', [grantPolicy('g1', 30, 90)], 'pass'],
    ['a grant that ends one second from now', [grantPolicy('g1', -60, 1 / 60)], 'pass'],
    ['a grant that ended exactly now', [grantPolicy('g1', -60, 0)], 'fail'],
    ['a grant that ended an hour ago', [grantPolicy('g1', -120, -60)], 'fail'],
    [
      'a grant policy without time bounds',
      [{ name: 'iam-posture-jit-g1', document: aPolicy(ADMIN) }],
      'fail',
    ],
    ['another policy without time bounds', [{ name: 'ops-admin', document: aPolicy(ADMIN) }], 'pass'],
    ['no inline policy', [], 'pass'],
  ] as const)('%s -> %s', (_label, inlinePolicies, status) => {
    expect(jitGrantLingering.evaluate(aRole({ inlinePolicies: [...inlinePolicies] }), ctx).status).toBe(
      status,
    );
  });

  it('counts a grant whose statements disagree on the window as having no valid bounds', () => {
    const first = timeBoundedDocument(ADMIN, at(-60), at(60));
    const second = timeBoundedDocument(
      [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      at(-60),
      at(600),
    );
    const mixed = { Version: '2012-10-17', Statement: [...first.Statement, ...second.Statement] };
    const result = jitGrantLingering.evaluate(
      aUser({ inlinePolicies: [{ name: 'iam-posture-jit-g1', document: parsePolicyDocument(mixed) }] }),
      ctx,
    );
    expect(result).toMatchObject({
      status: 'fail',
      evidence: { lingeringPolicies: [{ why: 'no-time-bounds' }] },
    });
  });

  it('keeps its own conditions out of the window: a grant with extra conditions is read the same', () => {
    const scoped = [
      {
        Effect: 'Allow',
        Action: 's3:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
    ];
    expect(
      jitGrantLingering.evaluate(aRole({ inlinePolicies: [grantPolicy('g1', -60, 60, scoped)] }), ctx).status,
    ).toBe('pass');
    expect(
      jitGrantLingering.evaluate(aRole({ inlinePolicies: [grantPolicy('g1', -60, -1, scoped)] }), ctx).status,
    ).toBe('fail');
  });

  it('names the principal and every lingering grant policy, not the live ones', () => {
    const result = jitGrantLingering.evaluate(
      aRole({
        name: 'deployer',
        inlinePolicies: [
          grantPolicy('g1', -120, -60),
          grantPolicy('g2', -10, 50),
          { name: 'iam-posture-jit-g3', document: aPolicy(ADMIN) },
        ],
      }),
      ctx,
    );
    expect(result).toEqual({
      status: 'fail',
      reason: `Role deployer still holds just-in-time grant policies iam-posture-jit-g1 (ended ${at(-60)}), iam-posture-jit-g3 (no valid time bounds).`,
      evidence: {
        lingeringPolicies: [
          { policyName: 'iam-posture-jit-g1', grantId: 'g1', endsAt: at(-60), why: 'expired' },
          { policyName: 'iam-posture-jit-g3', grantId: 'g3', endsAt: null, why: 'no-time-bounds' },
        ],
      },
    });
  });
});
