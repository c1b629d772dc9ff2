import { randomUUID } from 'node:crypto';
import type { Finding } from '../core/finding';
import { type PlanContext, planRemediation, type RemediationPlan } from '../core/remediation/plan';
import type { Actor, RemediationRequest } from '../core/remediation/request';
import type { LiveStateReader } from './remediation-ports';

/** How long a request can wait for approval (and, once approved, for execution). */
export const DEFAULT_REQUEST_TTL_HOURS = 24;

export type ApprovablePlan = Extract<RemediationPlan, { outcome: 'plan' }>;

/**
 * Re-reads the finding's resource and plans against what is there now: the CLI path plans this
 * way before a person sees the plan. The Slack path plans from the finding's own data
 * (`planFromFinding`, so the notify function needs no IAM access); execution always plans again
 * from live state after approval and refuses when the steps differ.
 */
export async function planFromLiveState(
  finding: Finding,
  reader: LiveStateReader,
  ctx: PlanContext,
): Promise<RemediationPlan> {
  return planRemediation(finding, await reader.read(finding), ctx);
}

export interface BuildRequestInput {
  finding: Finding;
  plan: ApprovablePlan;
  requestedBy: Actor;
  now: Date;
  ttlHours?: number;
  /** Defaults to a random UUID: the only thing a Slack button carries. */
  requestId?: string;
}

/** A new `pending` request for one finding and its plan, as both request paths record it. */
export function buildRemediationRequest(input: BuildRequestInput): RemediationRequest {
  const { finding, plan, now } = input;
  if (plan.findingId !== finding.id) {
    throw new Error(`plan for finding ${plan.findingId} does not belong to finding ${finding.id}`);
  }
  const ttlMs = (input.ttlHours ?? DEFAULT_REQUEST_TTL_HOURS) * 3_600_000;
  const request: RemediationRequest = {
    requestId: input.requestId ?? randomUUID(),
    findingId: finding.id,
    accountId: finding.accountId,
    ruleId: finding.ruleId,
    resourceArn: finding.resourceArn,
    actions: [...plan.actions],
    state: 'pending',
    version: 1,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    requestedBy: input.requestedBy,
    plan,
    finding: {
      id: finding.id,
      ruleId: finding.ruleId,
      severity: finding.severity,
      resourceArn: finding.resourceArn,
      reason: finding.reason,
      title: finding.title,
      ...(finding.subResource === undefined ? {} : { subResource: finding.subResource }),
      ...(finding.owner === undefined ? {} : { owner: finding.owner }),
    },
  };
  if (finding.subResource !== undefined) request.subResource = finding.subResource;
  return request;
}
