import { defineRule, notApplicable, pass } from '../rule';
import { describeKey } from './support/access-keys';
import { isoOrNull } from './support/dates';
import { AWS_DOCS, CIS_AWS_BENCHMARK } from './support/references';

export const userMultipleActiveKeys = defineRule(
  {
    id: 'user-multiple-active-keys',
    title: 'IAM users have at most one active access key',
    resourceKinds: ['user'],
    severity: 'low',
    description:
      'An IAM user with two active access keys. Two keys are expected only briefly, while a rotation is in progress. The root user is covered by root-access-key.',
    risk: 'A second active key doubles the credentials to track and usually means a rotation was started and never finished, leaving the old key alive.',
    remediation: {
      summary: 'Finish the rotation: move every consumer to one key, then deactivate and delete the other.',
    },
    compliance: [
      { framework: 'cis-aws-3.0', control: '1.13' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.updateAccessKeys, CIS_AWS_BENCHMARK],
  },
  (user) => {
    if (user.isRoot) return notApplicable('root access keys are covered by root-access-key');
    if (!user.credentials) return notApplicable('the user is not in the credential report');
    const active = user.credentials.accessKeys.filter((key) => key.active);
    if (active.length < 2) return pass;
    return {
      status: 'fail',
      reason: `User ${user.name} has ${active.length} active access keys (${active.map(describeKey).join(', ')}).`,
      evidence: {
        activeKeys: active.map((key) => ({
          keyId: key.keyId ?? null,
          slot: key.slot,
          createdAt: isoOrNull(key.createdAt),
          lastUsedAt: isoOrNull(key.lastUsedAt),
        })),
        activeKeyCount: active.length,
      },
    };
  },
);
