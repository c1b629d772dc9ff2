import { defineRule, notApplicable, pass } from '../rule';
import { describeKey } from './support/access-keys';
import { isoOrNull } from './support/dates';
import { AWS_DOCS, CIS_AWS_BENCHMARK, OWASP } from './support/references';

export const userHumanAndMachine = defineRule(
  {
    id: 'user-human-and-machine',
    title: 'IAM users are either for people (console) or for workloads (access keys), not both',
    resourceKinds: ['user'],
    severity: 'medium',
    description:
      'An IAM user with both a console password and an active access key. Inactive keys do not count. The root user is covered by root-access-key.',
    risk: 'A person and a workload sharing one identity cannot be told apart in CloudTrail, and the workload’s credential inherits everything the person needs.',
    remediation: {
      summary:
        'Split the identity: give the person IAM Identity Center access and the workload a role (or a separate user), then remove the password or the key.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI10' },
      { framework: 'cis-aws-3.0', control: '1.11' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.accessKeys, CIS_AWS_BENCHMARK, OWASP.NHI10],
  },
  (user) => {
    if (user.isRoot) return notApplicable('root access keys are covered by root-access-key');
    const credentials = user.credentials;
    if (!credentials) return notApplicable('the user is not in the credential report');
    const active = credentials.accessKeys.filter((key) => key.active);
    if (!credentials.passwordEnabled || active.length === 0) return pass;
    return {
      status: 'fail',
      reason: `User ${user.name} has a console password and active ${active.map(describeKey).join(' and ')}.`,
      evidence: {
        passwordEnabled: true,
        passwordLastUsedAt: isoOrNull(credentials.passwordLastUsedAt),
        activeKeys: active.map((key) => ({
          keyId: key.keyId ?? null,
          slot: key.slot,
          lastUsedAt: isoOrNull(key.lastUsedAt),
        })),
      },
    };
  },
);
