import { daysBetween, defineRule, notApplicable, pass } from '../rule';
import { describeKey, keyEvidence } from './support/access-keys';
import { dateEvidence } from './support/dates';
import { AWS_DOCS, CIS_AWS_BENCHMARK, FSBP, OWASP } from './support/references';

export const accessKeyUnused = defineRule(
  {
    id: 'access-key-unused',
    title: 'Active access keys are used within the unused-key window',
    resourceKinds: ['access-key'],
    severity: 'medium',
    description:
      'An active IAM user access key not used for the configured window (default 45 days), or never used and created longer ago than the window. Keys younger than the window are not evaluated; inactive keys and root keys (see root-access-key) are not applicable. The window is met exactly on its last day: a key idle for 45 days fails with the default.',
    risk: 'An unused key is a long-lived credential nobody would miss: if it leaks, it works for whoever holds it and its use stands out from no one’s baseline.',
    remediation: {
      summary:
        'Deactivate the key, then delete it once nothing breaks; use roles with short-lived credentials instead.',
      action: 'deactivate-access-key',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI1' },
      { framework: 'owasp-nhi-2025', control: 'NHI7' },
      { framework: 'cis-aws-3.0', control: '1.12' },
      { framework: 'aws-fsbp', control: 'IAM.22' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.unusedCredentials, FSBP.iam('22'), CIS_AWS_BENCHMARK, OWASP.NHI1],
    threshold: 'accessKeyUnusedDays',
    staleness: true,
  },
  (key, ctx) => {
    if (key.isRoot) return notApplicable('root access keys are covered by root-access-key');
    if (!key.active) return notApplicable('the key is inactive');
    const window = ctx.thresholds.accessKeyUnusedDays;
    const who = `${describeKey(key)} of user ${key.userName}`;
    if (key.lastUsedAt) {
      // A key cannot be used before it exists, so a last use older than the window implies an older key.
      const idleDays = daysBetween(key.lastUsedAt, ctx.now);
      if (idleDays < window) return pass;
      return {
        status: 'fail',
        reason: `Active ${who} was last used ${idleDays} days ago.`,
        evidence: {
          ...keyEvidence(key),
          ...dateEvidence({ createdAt: key.createdAt, lastUsedAt: key.lastUsedAt }),
          lastUsedService: key.lastUsedService ?? null,
          lastUsedRegion: key.lastUsedRegion ?? null,
          idleDays,
          thresholdDays: window,
        },
      };
    }
    // Never used: the key's age decides; the user's age stands in when the key's creation is unknown.
    const since = key.createdAt ?? key.userCreatedAt;
    if (!since) return notApplicable('neither the key nor its user has a creation date');
    const ageDays = daysBetween(since, ctx.now);
    if (ageDays < window) return notApplicable('the key is younger than the window');
    return {
      status: 'fail',
      reason: `Active ${who} has never been used and was created ${ageDays} days ago.`,
      evidence: {
        ...keyEvidence(key),
        ...dateEvidence({ createdAt: key.createdAt, userCreatedAt: key.userCreatedAt }),
        lastUsedAt: null,
        ageDays,
        thresholdDays: window,
      },
    };
  },
);
