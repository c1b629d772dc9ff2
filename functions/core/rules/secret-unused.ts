import { daysBetween, defineRule, notApplicable, pass } from '../rule';
import { calendarDaysBetween, dateEvidence } from './support/dates';
import { AWS_DOCS, FSBP, OWASP } from './support/references';

export const secretUnused = defineRule(
  {
    id: 'secret-unused',
    title: 'Secrets are accessed within the unused-secret window',
    resourceKinds: ['secret'],
    severity: 'medium',
    description:
      'A Secrets Manager secret not accessed for the configured window (default 90 days), or never accessed and older than the window. Secrets Manager records only the date of the last access, so idle time is counted in UTC calendar days: a secret last accessed 90 calendar days before the scan date fails with the default. Secrets younger than the window are not evaluated.',
    risk: 'A secret nobody reads is a credential nobody needs, still valid wherever it was copied; it also hides which systems really depend on it.',
    remediation: {
      summary:
        'Confirm nothing reads the secret (CloudTrail GetSecretValue events), revoke the credential it holds at its source, then delete the secret with a recovery window.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI1' },
      { framework: 'aws-fsbp', control: 'SecretsManager.3' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.describeSecret, AWS_DOCS.secretDeletion, FSBP.secretsManager('3'), OWASP.NHI1],
    threshold: 'secretUnusedDays',
    staleness: true,
  },
  (secret, ctx) => {
    const window = ctx.thresholds.secretUnusedDays;
    if (secret.createdAt && daysBetween(secret.createdAt, ctx.now) < window) {
      return notApplicable('the secret is younger than the window');
    }
    if (secret.lastAccessedAt) {
      const idleDays = calendarDaysBetween(secret.lastAccessedAt, ctx.now);
      if (idleDays < window) return pass;
      return {
        status: 'fail',
        reason: `Secret ${secret.name} in ${secret.region} was last accessed ${idleDays} days ago.`,
        evidence: {
          ...dateEvidence({ createdAt: secret.createdAt, lastAccessedAt: secret.lastAccessedAt }),
          idleDays,
          thresholdDays: window,
        },
      };
    }
    if (!secret.createdAt) return notApplicable('the secret has no creation date');
    const ageDays = daysBetween(secret.createdAt, ctx.now);
    return {
      status: 'fail',
      reason: `Secret ${secret.name} in ${secret.region} has never been accessed and was created ${ageDays} days ago.`,
      evidence: {
        ...dateEvidence({ createdAt: secret.createdAt }),
        lastAccessedAt: null,
        ageDays,
        thresholdDays: window,
      },
    };
  },
);
