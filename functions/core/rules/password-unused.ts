import { daysBetween, defineRule, notApplicable, pass } from '../rule';
import { dateEvidence } from './support/dates';
import { AWS_DOCS, CIS_AWS_BENCHMARK, FSBP } from './support/references';

export const passwordUnused = defineRule(
  {
    id: 'password-unused',
    title: 'Console passwords are used within the unused-password window',
    resourceKinds: ['user'],
    severity: 'medium',
    description:
      'An IAM user whose console password has not been used for the configured window (default 45 days), or was never used. The password’s age is counted from when it was last set (the user’s creation when unknown); a password younger than the window is not evaluated, so a reset starts a new grace period. The root user is not applicable.',
    risk: 'A console password nobody uses is a standing way into the console that phishing or password reuse can open, with no owner to notice.',
    remediation: {
      summary:
        'Delete the user’s login profile (console password); if a person needs the console, use IAM Identity Center.',
    },
    compliance: [
      { framework: 'cis-aws-3.0', control: '1.12' },
      { framework: 'aws-fsbp', control: 'IAM.22' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.unusedCredentials, FSBP.iam('22'), CIS_AWS_BENCHMARK],
    threshold: 'passwordUnusedDays',
    staleness: true,
  },
  (user, ctx) => {
    if (user.isRoot) return notApplicable('the root user is not evaluated for console use');
    const credentials = user.credentials;
    if (!credentials) return notApplicable('the user is not in the credential report');
    if (!credentials.passwordEnabled) return notApplicable('the user has no console password');
    const window = ctx.thresholds.passwordUnusedDays;
    const setAt = credentials.passwordLastChangedAt ?? user.createdAt;
    if (!setAt) return notApplicable('the password has no known creation date');
    const ageDays = daysBetween(setAt, ctx.now);
    if (ageDays < window) return notApplicable('the password is younger than the window');
    const dates = dateEvidence({
      createdAt: user.createdAt,
      passwordLastChangedAt: credentials.passwordLastChangedAt,
      passwordLastUsedAt: credentials.passwordLastUsedAt,
    });
    if (!credentials.passwordLastUsedAt) {
      return {
        status: 'fail',
        reason: `User ${user.name} has a console password that has never been used, set ${ageDays} days ago.`,
        evidence: { ...dates, ageDays, thresholdDays: window },
      };
    }
    const idleDays = daysBetween(credentials.passwordLastUsedAt, ctx.now);
    if (idleDays < window) return pass;
    return {
      status: 'fail',
      reason: `User ${user.name} last signed in to the console ${idleDays} days ago.`,
      evidence: { ...dates, idleDays, thresholdDays: window },
    };
  },
);
