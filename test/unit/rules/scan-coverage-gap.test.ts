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

  it('is at least medium: a gap must be visible', () => {
    expect(['critical', 'high', 'medium']).toContain(scanCoverageGap.meta.severity);
  });
});
