import { describeGapResources } from '../coverage-gaps';
import type { CoverageGap } from '../model';
import { defineRule } from '../rule';
import { AWS_DOCS } from './support/references';

/** How many of a grouped gap's resources its evidence lists. */
const EVIDENCE_RESOURCES = 10;

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
    compliance: [{ framework: 'nist-csf-2.0', control: 'ID.RA-01' }],
    references: [AWS_DOCS.accessDenied, AWS_DOCS.credentialReport],
  },
  (gap) => {
    const evidence = {
      source: gap.source,
      category: gap.category,
      detail: gap.detail ?? null,
      gap: gap.reason,
    };
    if (gap.count === undefined) {
      return {
        status: 'fail',
        reason: `Could not read ${gap.source}${gap.detail ? ` (${gap.detail})` : ''} for ${gap.arn}: ${sentence(gap.reason)}.`,
        evidence,
      };
    }
    return {
      status: 'fail',
      reason: groupedReason(gap),
      evidence: {
        ...evidence,
        count: gap.count,
        places: gap.places ?? [],
        resources: (gap.resources ?? []).slice(0, EVIDENCE_RESOURCES),
        resourceCount: gap.resources?.length ?? 0,
        resourcesOverflow: gap.resourcesOverflow === true,
      },
    };
  },
);

/** `Could not read FILE (PATTERN) 3 times (first at ...), touching ...: FIRST REASON (the first of them).` */
function groupedReason(gap: CoverageGap): string {
  const where = gap.detail ? ` (${gap.detail})` : '';
  const first = gap.places && gap.places.length > 0 ? `, first at ${gap.places.join(', ')}` : '';
  return `Could not read ${gap.source}${where} ${gap.count} times${first}, touching ${describeGapResources(gap)}: ${sentence(gap.reason)} (the first of them).`;
}

function sentence(text: string): string {
  return text.replace(/\.$/, '');
}
