import { daysBetween, defineRule, notApplicable, pass } from '../rule';
import { dateEvidence, utcDate } from './support/dates';
import { AWS_DOCS, FSBP, OWASP } from './support/references';

export const secretNotRotated = defineRule(
  {
    id: 'secret-not-rotated',
    title: 'Secrets have been rotated within the rotation window',
    resourceKinds: ['secret'],
    severity: 'medium',
    description:
      'A Secrets Manager secret whose last rotation (its creation, if it was never rotated) is at least the configured window old (default 90 days), or whose scheduled rotation (NextRotationDate) has passed without happening. Every secret is evaluated on its age, whether or not rotation is configured: a secret without rotation and older than the window fails here and in secret-rotation-disabled, because the age of the credential and the missing schedule are separate problems. Only rotations by Secrets Manager count (LastRotatedDate); a value changed by hand is not visible as a rotation.',
    risk: 'A secret that is not rotated stays valid for as long as any copy of it exists; a failing rotation schedule looks configured while leaving the old secret in place.',
    remediation: {
      summary:
        'Rotate the secret now and check why scheduled rotation did not run (rotation function errors in its logs); configure rotation if there is none.',
      action: 'rotate-secret',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI7' },
      { framework: 'aws-fsbp', control: 'SecretsManager.2' },
      { framework: 'aws-fsbp', control: 'SecretsManager.4' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.secretRotation, FSBP.secretsManager('2'), FSBP.secretsManager('4'), OWASP.NHI7],
    threshold: 'secretRotationDays',
  },
  (secret, ctx) => {
    const window = ctx.thresholds.secretRotationDays;
    const since = secret.lastRotatedAt ?? secret.createdAt;
    if (!since) return notApplicable('the secret has neither a rotation nor a creation date');
    const ageDays = daysBetween(since, ctx.now);
    const overdue =
      secret.rotationEnabled &&
      secret.nextRotationAt !== undefined &&
      secret.nextRotationAt.getTime() < ctx.now.getTime();
    if (ageDays < window && !overdue) return pass;
    const age = secret.lastRotatedAt
      ? `was last rotated ${ageDays} days ago`
      : `has never been rotated and was created ${ageDays} days ago`;
    const missed = overdue
      ? `missed its scheduled rotation on ${utcDate(secret.nextRotationAt!)}`
      : undefined;
    const reason =
      ageDays >= window
        ? `Secret ${secret.name} in ${secret.region} ${age}${missed ? ` and ${missed}` : ''}.`
        : `Secret ${secret.name} in ${secret.region} ${missed}.`;
    return {
      status: 'fail',
      reason,
      evidence: {
        ...dateEvidence({
          createdAt: secret.createdAt,
          lastRotatedAt: secret.lastRotatedAt,
          nextRotationAt: secret.nextRotationAt,
        }),
        rotationEnabled: secret.rotationEnabled,
        ageDays,
        thresholdDays: window,
        rotationOverdue: overdue,
      },
    };
  },
);
