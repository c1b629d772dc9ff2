import { describe, expect, it } from 'vitest';
import { secretRotationDisabled } from '../../../functions/core/rules/secret-rotation-disabled';
import { aContext, aSecret, daysAgo } from '../../support/builders';

const ctx = aContext();

describe('secret-rotation-disabled', () => {
  it('passes a secret with rotation enabled, even one never rotated yet', () => {
    expect(secretRotationDisabled.evaluate(aSecret({ lastRotatedAt: undefined }), ctx).status).toBe('pass');
  });

  it('fails a secret without rotation, naming it and its region', () => {
    const secret = aSecret({
      name: 'partner/api-token',
      region: 'us-east-1',
      rotationEnabled: false,
      rotationLambdaArn: undefined,
      nextRotationAt: undefined,
      createdAt: daysAgo(10),
      lastRotatedAt: undefined,
    });
    expect(secretRotationDisabled.evaluate(secret, ctx)).toEqual({
      status: 'fail',
      reason: 'Secret partner/api-token in us-east-1 has no automatic rotation configured.',
      evidence: { rotationEnabled: false, createdAt: '2026-05-22T12:00:00.000Z', lastRotatedAt: null },
    });
  });
});
