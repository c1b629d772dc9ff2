import { daysBetween, defineRule, pass } from '../rule';
import { dateEvidence, utcDate } from './support/dates';
import { describePrincipalArn } from './support/jit';
import { OWASP } from './support/references';

const NIST_CSF_2 = 'https://nvlpubs.nist.gov/nistpubs/CSWP/NIST.CSWP.29.pdf';
const IAM_LAST_ACCESSED =
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html';

export const reviewOverdue = defineRule(
  {
    id: 'review-overdue',
    title: 'Non-human identities are reviewed by their owners by the review deadline',
    resourceKinds: ['review-standing'],
    severity: 'medium',
    description:
      'An identity whose latest entitlement review in a rhythm (quarterly, admin-monthly, manual, ...) passed its deadline unanswered: its owner neither kept it with a justification nor reduced it. "Not mine" with nobody named is not an answer. A later answer, in that campaign or in a newer one of the same rhythm, resolves the finding; a newer campaign still open does not. One finding per identity and rhythm. The review state is read from the findings table by the deployed scan where reviews are enabled; an offline scan does not read it, and a failed read is a coverage gap.',
    risk: 'A review nobody answers is standing privilege nobody vouches for: the identity keeps what it holds because no one decided, which is how unused and orphaned access outlives its purpose. Medium on its own; the engine raises it for an administrator-equivalent or escalation-capable identity.',
    remediation: {
      summary:
        'Answer the review in Slack (keep with a justification, reduce, or not mine naming the owner), or find the identity an owner; `iam-posture review status` lists what is outstanding.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI1' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
      { framework: 'nist-csf-2.0', control: 'GV.RR-02' },
    ],
    references: [OWASP.NHI1, NIST_CSF_2, IAM_LAST_ACCESSED],
  },
  (standing, ctx) => {
    if (standing.answeredAt) return pass;
    if (ctx.now.getTime() < standing.deadline.getTime()) return pass;
    const overdueDays = daysBetween(standing.deadline, ctx.now);
    const who = describePrincipalArn(standing.arn);
    const when = utcDate(standing.deadline);
    return {
      status: 'fail',
      reason: standing.disowned
        ? `${who} was handed on as not mine in review ${standing.campaignId} and nobody answered for it by the deadline ${when}.`
        : `${who} was not reviewed by ${standing.owner} in review ${standing.campaignId}, due ${when} (${overdueDays} days overdue).`,
      evidence: {
        rhythm: standing.rhythm,
        campaignId: standing.campaignId,
        reviewOwner: standing.owner,
        ...dateEvidence({
          startedAt: standing.startedAt,
          deadline: standing.deadline,
          escalatedAt: standing.escalatedAt,
        }),
        overdueDays,
        disowned: standing.disowned === true,
      },
    };
  },
);
