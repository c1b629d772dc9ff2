import { defineRule, notApplicable, pass } from '../rule';
import { DAY_MS, dateEvidence, utcDate } from './support/dates';
import { AWS_DOCS, CIS_AWS_BENCHMARK, FSBP } from './support/references';

export const serverCertificateExpiring = defineRule(
  {
    id: 'server-certificate-expiring',
    title: 'IAM server certificates are valid beyond the expiry window',
    resourceKinds: ['server-certificate'],
    severity: 'medium',
    description:
      'An IAM server certificate that has expired (high) or expires within the configured window (default 30 days; a certificate expiring exactly at the end of the window fails).',
    risk: 'An expired certificate still stored in IAM can be attached to a load balancer or distribution by mistake and break TLS; one about to expire will break the endpoints that use it unless it is replaced in time.',
    remediation: {
      summary:
        'Replace the certificate (preferably with an ACM-managed one that renews itself) and delete the old one from IAM.',
    },
    compliance: [
      { framework: 'cis-aws-3.0', control: '1.19' },
      { framework: 'aws-fsbp', control: 'IAM.26' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
    ],
    references: [AWS_DOCS.serverCertificates, FSBP.iam('26'), CIS_AWS_BENCHMARK],
    threshold: 'certificateExpiryDays',
  },
  (certificate, ctx) => {
    if (!certificate.expiresAt) return notApplicable('the certificate has no expiration date');
    const window = ctx.thresholds.certificateExpiryDays;
    const remainingMs = certificate.expiresAt.getTime() - ctx.now.getTime();
    const dates = dateEvidence({ uploadedAt: certificate.uploadedAt, expiresAt: certificate.expiresAt });
    if (remainingMs < 0) {
      const expiredDays = Math.floor(-remainingMs / DAY_MS);
      return {
        status: 'fail',
        reason: `Server certificate ${certificate.name} expired on ${utcDate(certificate.expiresAt)} (${expiredDays} days ago).`,
        severity: 'high',
        evidence: { ...dates, expired: true, expiredDays, thresholdDays: window },
      };
    }
    if (remainingMs > window * DAY_MS) return pass;
    const remainingDays = Math.floor(remainingMs / DAY_MS);
    return {
      status: 'fail',
      reason: `Server certificate ${certificate.name} expires on ${utcDate(certificate.expiresAt)}, in ${remainingDays} days.`,
      evidence: { ...dates, expired: false, remainingDays, thresholdDays: window },
    };
  },
);
