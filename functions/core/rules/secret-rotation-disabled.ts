import { defineRule, pass } from '../rule';
import { dateEvidence } from './support/dates';
import { AWS_DOCS, FSBP, OWASP } from './support/references';

export const secretRotationDisabled = defineRule(
  {
    id: 'secret-rotation-disabled',
    title: 'Secrets have automatic rotation configured',
    resourceKinds: ['secret'],
    severity: 'medium',
    description:
      'A Secrets Manager secret without automatic rotation (RotationEnabled is false). Whether the secret is also too old is secret-not-rotated’s question.',
    risk: 'Without rotation a secret lives until someone remembers to change it by hand; a leaked copy keeps working for as long.',
    remediation: {
      summary:
        'Turn on automatic rotation with a rotation function (or managed rotation for supported services) and a schedule within the rotation window.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI7' },
      { framework: 'aws-fsbp', control: 'SecretsManager.1' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.secretRotation, FSBP.secretsManager('1'), OWASP.NHI7],
  },
  (secret) => {
    if (secret.rotationEnabled) return pass;
    return {
      status: 'fail',
      reason: `Secret ${secret.name} in ${secret.region} has no automatic rotation configured.`,
      evidence: {
        rotationEnabled: false,
        ...dateEvidence({ createdAt: secret.createdAt, lastRotatedAt: secret.lastRotatedAt }),
      },
    };
  },
);
