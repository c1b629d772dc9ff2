import { defineRule } from '../rule';
import { AWS_DOCS } from './support/references';

export const scanCoverageGap = defineRule(
  {
    id: 'scan-coverage-gap',
    title: 'Every part of the account could be read',
    resourceKinds: ['coverage-gap'],
    severity: 'medium',
    description:
      'Something the scan could not read: an API call denied, throttled out or timed out, a missing or malformed export file or record. Every recorded gap is a finding, because the absence of findings about what was not read is not health.',
    risk: 'Resources that could not be read are not evaluated by any rule: a risky identity can hide behind an access-denied error or a malformed record.',
    remediation: {
      summary:
        'Fix the cause named in the finding (grant the scanner role the read permission, re-export the file, correct the record) and scan again.',
    },
    compliance: [],
    references: [AWS_DOCS.accessDenied, AWS_DOCS.credentialReport],
  },
  (gap) => ({
    status: 'fail',
    reason: `Could not read ${gap.source}${gap.detail ? ` (${gap.detail})` : ''} for ${gap.arn}: ${gap.reason.replace(/\.$/, '')}.`,
    evidence: {
      source: gap.source,
      category: gap.category,
      detail: gap.detail ?? null,
      gap: gap.reason,
    },
  }),
);
