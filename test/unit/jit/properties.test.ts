/**
 * Properties of grants over random statements, windows and grant states: the bounds written are
 * the bounds read back, a statement's own conditions survive, the hash ignores key order only,
 * and the reconciler never keeps a policy IAM should no longer honour.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  grantHash,
  grantInstant,
  grantWindowOf,
  timeBoundedDocument,
} from '../../../functions/core/jit/grant';
import { planReconcile } from '../../../functions/core/jit/reconcile';
import { ELEVATION_STATES, type PolicyStatementDocument } from '../../../functions/core/jit/types';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import { aRequest, ROLE } from './builders';

const actions = fc.constantFrom('s3:GetObject', 's3:*', 'rds:*', 'iam:PassRole', 'ec2:Describe*', '*');
const resources = fc.constantFrom('*', 'arn:aws:s3:::b/*', `arn:aws:iam::123456789012:role/app-*`);
const conditionKeys = fc.constantFrom(
  'aws:SourceIp',
  'aws:TokenIssueTime',
  'aws:PrincipalTag/team',
  's3:prefix',
);
const operators = fc.constantFrom('StringEquals', 'IpAddress', 'DateGreaterThan', 'DateLessThan', 'Bool');

const condition = fc.dictionary(
  operators,
  fc.dictionary(conditionKeys, fc.string({ maxLength: 8 }), { minKeys: 1 }),
  {
    minKeys: 1,
    maxKeys: 3,
  },
);

const statement: fc.Arbitrary<PolicyStatementDocument> = fc.record(
  {
    Sid: fc.stringMatching(/^[A-Za-z0-9]{1,6}$/),
    Effect: fc.constantFrom('Allow', 'Deny'),
    Action: fc.oneof(actions, fc.array(actions, { minLength: 1, maxLength: 3 })),
    Resource: fc.oneof(resources, fc.array(resources, { minLength: 1, maxLength: 2 })),
    Condition: condition,
  },
  { requiredKeys: ['Effect', 'Action', 'Resource'] },
);

const statements = fc.array(statement, { minLength: 1, maxLength: 5 });

/** A window of whole seconds in 2026-2027, 1 minute to 12 hours long. */
const window = fc
  .record({
    start: fc.integer({
      min: Date.parse('2026-01-01T00:00:00Z') / 1000,
      max: Date.parse('2027-01-01T00:00:00Z') / 1000,
    }),
    minutes: fc.integer({ min: 1, max: 720 }),
  })
  .map(({ start, minutes }) => ({
    startsAt: grantInstant(new Date(start * 1000)),
    endsAt: grantInstant(new Date(start * 1000 + minutes * 60_000)),
  }));

/** The same value with object keys in reverse order at every level. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  }
  return value;
}

describe('grant properties', () => {
  it('reads back exactly the window it wrote, keeps every own condition, and stays a valid policy', () => {
    fc.assert(
      fc.property(statements, window, (given, { startsAt, endsAt }) => {
        const document = timeBoundedDocument(given, startsAt, endsAt);
        expect(grantWindowOf(document)).toEqual({ startsAt, endsAt });
        expect(grantWindowOf(JSON.stringify(document))).toEqual({ startsAt, endsAt });
        const parsed = parsePolicyDocument(document);
        expect(parsed.statements).toHaveLength(given.length);
        for (const [i, original] of given.entries()) {
          const bounded = document.Statement[i]!;
          const conditions = bounded.Condition as Record<string, Record<string, unknown>>;
          for (const [operator, block] of Object.entries(
            (original.Condition ?? {}) as Record<string, object>,
          )) {
            for (const [key, value] of Object.entries(block))
              expect(conditions[operator]![key]).toEqual(value);
          }
          const { Condition: _bounds, ...rest } = bounded;
          const { Condition: _own, ...originalRest } = original;
          expect(rest).toEqual(originalRest);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('hashes the same grant the same whatever the key order, and another statement order differently', () => {
    fc.assert(
      fc.property(statements, window, fc.boolean(), (given, { startsAt, endsAt }, breakGlass) => {
        const grant = { profile: 'p', principalArn: ROLE, statements: given, startsAt, endsAt, breakGlass };
        expect(grantHash(reversedKeys(grant) as typeof grant)).toBe(grantHash(grant));
        const reordered = [...given].reverse();
        if (JSON.stringify(reordered) !== JSON.stringify(given)) {
          expect(grantHash({ ...grant, statements: reordered })).not.toBe(grantHash(grant));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never keeps a policy whose window has ended or whose grant is not live', () => {
    const grantCase = fc.record({
      window,
      state: fc.constantFrom(...ELEVATION_STATES),
      known: fc.boolean(),
      bounded: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(grantCase, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-02T00:00:00Z') }),
        (cases, nowMs) => {
          const now = new Date(nowMs);
          const grants = cases.map((c, i) =>
            aRequest({ grantId: `g${i}`, policyName: `iam-posture-jit-g${i}`, state: c.state, ...c.window }),
          );
          const policies = cases.map((c, i) => ({
            principalArn: ROLE,
            policyName: `iam-posture-jit-g${i}`,
            document: c.bounded
              ? timeBoundedDocument(grants[i]!.statements, c.window.startsAt, c.window.endsAt)
              : { Version: '2012-10-17', Statement: grants[i]!.statements },
          }));
          const plan = planReconcile({ now, policies, grants: grants.filter((_, i) => cases[i]!.known) });
          const removed = new Set(plan.remove.map((r) => r.policyName));
          for (const [i, c] of cases.entries()) {
            const kept = !removed.has(`iam-posture-jit-g${i}`);
            const live = c.known && c.bounded && (c.state === 'approved' || c.state === 'granted');
            expect(kept).toBe(live && nowMs < Date.parse(c.window.endsAt));
          }
          for (const id of plan.expire) {
            const g = grants.find((x) => x.grantId === id)!;
            expect(g.state).toBe('granted');
            expect(Date.parse(g.endsAt)).toBeLessThanOrEqual(nowMs);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
