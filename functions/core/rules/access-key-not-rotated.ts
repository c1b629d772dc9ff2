import { daysBetween, defineRule, notApplicable, pass } from '../rule';
import { describeKey, keyEvidence } from './support/access-keys';
import { dateEvidence } from './support/dates';
import { AWS_DOCS, CIS_AWS_BENCHMARK, FSBP, OWASP } from './support/references';

export const accessKeyNotRotated = defineRule(
  {
    id: 'access-key-not-rotated',
    title: 'Active access keys are rotated within the rotation window',
    resourceKinds: ['access-key'],
    severity: 'medium',
    description:
      'An active IAM user access key created longer ago than the configured window (default 90 days): a key is rotated by creating a new one, so its creation date is its last rotation. A key exactly as old as the window fails. Inactive keys and root keys (see root-access-key) are not applicable.',
    risk: 'The older a key, the more places it has been copied to and the longer a leaked copy keeps working; rotation bounds how long a replayed key is useful.',
    remediation: {
      summary:
        'Create a second key, move every consumer to it, deactivate the old key and delete it; better, replace the user with a role.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI7' },
      { framework: 'cis-aws-3.0', control: '1.14' },
      { framework: 'aws-fsbp', control: 'IAM.3' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.updateAccessKeys, FSBP.iam('3'), CIS_AWS_BENCHMARK, OWASP.NHI7],
    threshold: 'accessKeyRotationDays',
  },
  (key, ctx) => {
    if (key.isRoot) return notApplicable('root access keys are covered by root-access-key');
    if (!key.active) return notApplicable('the key is inactive');
    if (!key.createdAt) return notApplicable('the key has no creation date');
    const window = ctx.thresholds.accessKeyRotationDays;
    const ageDays = daysBetween(key.createdAt, ctx.now);
    if (ageDays < window) return pass;
    return {
      status: 'fail',
      reason: `Active ${describeKey(key)} of user ${key.userName} was created ${ageDays} days ago and has not been rotated since.`,
      evidence: {
        ...keyEvidence(key),
        ...dateEvidence({ createdAt: key.createdAt, lastUsedAt: key.lastUsedAt }),
        ageDays,
        thresholdDays: window,
      },
    };
  },
);
