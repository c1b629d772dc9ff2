import { describeError } from '../core/describe-error';
import type { StoredFinding } from '../core/lifecycle';
import type { Actor } from '../core/remediation/request';
import type { ReviewItem } from '../core/review/types';
import { type RequestApprovalDeps, requestApproval } from './request-approval';
import type { ReductionRequests } from './review-ports';

/**
 * A "reduce" answer through the approval path that already exists: each open finding of the
 * identity that remediation can act on becomes a remediation request, posted for approval as a
 * scan's would be, with the owner who answered as its requester (so someone else approves it).
 * The request id is derived from the finding and the review item, so a repeated answer opens
 * nothing twice. A finding remediation would refuse (a protected principal) is shown as usual.
 */

export interface ReviewReductionDeps {
  findings: { getStoredFinding(findingId: string): Promise<StoredFinding | undefined> };
  approval: RequestApprovalDeps;
}

export function reviewReductions(deps: ReviewReductionDeps): ReductionRequests {
  return {
    async requestReduction(item: ReviewItem, by: Actor) {
      const requestIds: string[] = [];
      const reasons: string[] = [];
      for (const open of item.openFindings) {
        let stored: StoredFinding | undefined;
        try {
          stored = await deps.findings.getStoredFinding(open.findingId);
        } catch (error) {
          reasons.push(`${open.ruleId}: the finding could not be read (${describeError(error)})`);
          continue;
        }
        if (!stored) {
          reasons.push(`${open.ruleId}: the finding is no longer stored`);
          continue;
        }
        const outcome = await requestApproval(
          { finding: stored, scanId: `review:${item.campaignId}:${item.itemId}`, requestedBy: by },
          deps.approval,
        );
        switch (outcome.outcome) {
          case 'posted':
          case 'already-requested':
            requestIds.push(outcome.request.requestId);
            break;
          case 'active-request':
            requestIds.push(outcome.activeRequestId);
            break;
          case 'refused':
          case 'skipped':
            reasons.push(`${open.ruleId}: ${outcome.reason}`);
            break;
        }
      }
      if (requestIds.length > 0) return { requestIds };
      return {
        none:
          reasons.length > 0
            ? reasons.join(' ')
            : 'the identity has no open finding; reduce its access by hand, or answer keep or not mine.',
      };
    },
  };
}
