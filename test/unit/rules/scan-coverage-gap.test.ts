import { describe, expect, it } from 'vitest';
import { scanCoverageGap } from '../../../functions/core/rules/scan-coverage-gap';
import { ACCOUNT_ID, aContext, aCoverageGap } from '../../support/builders';

describe('scan-coverage-gap', () => {
  it('fails every gap with a reason built from it', () => {
    expect(scanCoverageGap.evaluate(aCoverageGap(), aContext())).toEqual({
      status: 'fail',
      reason: `Could not read secretsmanager:ListSecrets (eu-west-1) for arn:aws:iam::${ACCOUNT_ID}:root: Access denied by the scanner role.`,
      evidence: {
        source: 'secretsmanager:ListSecrets',
        category: 'AccessDenied',
        detail: 'eu-west-1',
        gap: 'Access denied by the scanner role.',
      },
    });
  });

  it('names a gap about one resource without a detail', () => {
    const gap = aCoverageGap({
      arn: `arn:aws:iam::${ACCOUNT_ID}:role/broken`,
      source: 'authorization-details.json',
      detail: undefined,
      category: 'Malformed',
      reason: 'The trust policy is not valid JSON',
    });
    expect(scanCoverageGap.evaluate(gap, aContext())).toMatchObject({
      status: 'fail',
      reason: `Could not read authorization-details.json for arn:aws:iam::${ACCOUNT_ID}:role/broken: The trust policy is not valid JSON.`,
      evidence: { detail: null, category: 'Malformed' },
    });
  });

  it('states a grouped gap once: count, first places and the resources it touches', () => {
    const resources = Array.from({ length: 12 }, (_, i) => `arn:aws:iam::${ACCOUNT_ID}:role/r${i}`);
    const gap = aCoverageGap({
      source: 'authorization-details.json',
      detail: '$.RoleDetailList[*].CreateDate',
      category: 'Malformed',
      reason: 'Role r0 has no CreateDate; the role was not analysed.',
      count: 12,
      places: ['$.RoleDetailList[0].CreateDate', '$.RoleDetailList[1].CreateDate'],
      resources,
      resourcesOverflow: false,
    });
    expect(scanCoverageGap.evaluate(gap, aContext())).toEqual({
      status: 'fail',
      reason:
        'Could not read authorization-details.json ($.RoleDetailList[*].CreateDate) 12 times, first at $.RoleDetailList[0].CreateDate, $.RoleDetailList[1].CreateDate, touching role/r0, role/r1, role/r2 and 9 more: Role r0 has no CreateDate; the role was not analysed (the first of them).',
      evidence: {
        source: 'authorization-details.json',
        category: 'Malformed',
        detail: '$.RoleDetailList[*].CreateDate',
        gap: 'Role r0 has no CreateDate; the role was not analysed.',
        count: 12,
        places: ['$.RoleDetailList[0].CreateDate', '$.RoleDetailList[1].CreateDate'],
        resources: resources.slice(0, 10),
        resourceCount: 12,
        resourcesOverflow: false,
      },
    });
  });

  it('is at least medium: a gap must be visible', () => {
    expect(['critical', 'high', 'medium']).toContain(scanCoverageGap.meta.severity);
  });
});
