import { defineRule, notApplicable, pass } from '../rule';
import { describeKey, keyEvidence } from './support/access-keys';
import { dateEvidence } from './support/dates';
import { AWS_DOCS, CIS_AWS_BENCHMARK, FSBP } from './support/references';

export const rootAccessKey = defineRule(
  {
    id: 'root-access-key',
    title: 'The root user has no active access key',
    resourceKinds: ['access-key'],
    severity: 'critical',
    description:
      'An active access key of the account root user. Each of the two key slots of the root user is evaluated on its own; an inactive or empty slot passes.',
    risk: 'A root access key is a long-lived credential with unrestricted access to the whole account to the whole account: no IAM policy or permissions boundary limits it, and leaking it hands over the account.',
    remediation: {
      summary:
        'Sign in as the root user, delete the access key (after moving any use to an IAM role), and protect the root user with MFA.',
    },
    compliance: [
      { framework: 'cis-aws-3.0', control: '1.4' },
      { framework: 'aws-fsbp', control: 'IAM.4' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [AWS_DOCS.rootUserAccessKeys, FSBP.iam('4'), CIS_AWS_BENCHMARK],
  },
  (key) => {
    if (!key.isRoot) return notApplicable('the key does not belong to the root user');
    if (!key.active) return pass;
    return {
      status: 'fail',
      reason: key.lastUsedAt
        ? `The root user has active ${describeKey(key)}, last used on ${key.lastUsedAt.toISOString().slice(0, 10)}.`
        : `The root user has active ${describeKey(key)}.`,
      evidence: {
        ...keyEvidence(key),
        ...dateEvidence({ createdAt: key.createdAt, lastUsedAt: key.lastUsedAt }),
        lastUsedService: key.lastUsedService ?? null,
      },
    };
  },
);
