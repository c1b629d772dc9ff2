import type { Eligibility } from '../core/jit/types';
import type { RemediationStep } from '../core/remediation/plan';
import type { Actor, BeforeState } from '../core/remediation/request';
import type { JitStore } from './jit-ports';
import type { RemediationExecutor } from './remediation-ports';

/** What converting standing admin to just-in-time writes: eligibilities, in the findings table. */
export type EligibilityStore = Pick<JitStore, 'putEligibility' | 'deleteEligibility' | 'listEligibility'>;

/** A conversion to just-in-time was to run where no eligibility store is configured. */
export class EligibilityStoreMissingError extends Error {
  override readonly name = 'EligibilityStoreMissingError';
}

/** Who the eligibility records, when the request it comes from was recorded. */
export interface EligibilityContext {
  requestId: string;
  /** The approver of the request (else its requester): recorded as who granted the eligibility. */
  grantedBy: Actor;
  now(): Date;
}

type MakeEligible = Extract<RemediationStep, { action: 'make-eligible' }>;
type EligibleBefore = Extract<BeforeState, { action: 'make-eligible' }>;

/**
 * An executor that records `make-eligible` steps in the eligibility store and hands every other
 * step to the IAM executor it wraps. The before-state is the eligibility recorded before, if any:
 * rollback puts that back, or deletes the one the step recorded. Deleting an eligibility only
 * reduces privilege, so even the acting function, whose IAM executor restores nothing, can undo a
 * conversion whose removal failed.
 */
export class EligibilityStepExecutor implements RemediationExecutor {
  constructor(
    private readonly inner: RemediationExecutor,
    private readonly store: EligibilityStore | undefined,
    private readonly context?: EligibilityContext,
  ) {}

  async captureBefore(step: RemediationStep): Promise<BeforeState> {
    if (step.action !== 'make-eligible') return this.inner.captureBefore(step);
    const existing = await this.find(step);
    return {
      action: 'make-eligible',
      principalArn: step.principalArn,
      accountId: step.accountId,
      profile: step.profile,
      ...(existing
        ? {
            existing: {
              grantedBy: existing.grantedBy,
              createdAt: existing.createdAt,
              ...(existing.sourceRequestId !== undefined
                ? { sourceRequestId: existing.sourceRequestId }
                : {}),
              ...(existing.lastUsedAt !== undefined ? { lastUsedAt: existing.lastUsedAt } : {}),
            },
          }
        : {}),
    };
  }

  async apply(step: RemediationStep): Promise<void> {
    if (step.action !== 'make-eligible') return this.inner.apply(step);
    const context = this.context;
    if (!context) {
      throw new EligibilityStoreMissingError('an eligibility is recorded only while executing a request');
    }
    await this.required().putEligibility({
      principalArn: step.principalArn,
      profile: step.profile,
      accountId: step.accountId,
      grantedBy: context.grantedBy,
      createdAt: context.now().toISOString(),
      sourceRequestId: context.requestId,
    });
  }

  async verify(step: RemediationStep, before: BeforeState): Promise<string | undefined> {
    if (step.action !== 'make-eligible') return this.inner.verify(step, before);
    const found = await this.find(step);
    if (!found) return `${step.principalArn} is not recorded as eligible for profile ${step.profile}.`;
    return this.context && found.sourceRequestId !== this.context.requestId
      ? `The eligibility of ${step.principalArn} for profile ${step.profile} was recorded by another request.`
      : undefined;
  }

  async restore(before: BeforeState): Promise<void> {
    if (before.action !== 'make-eligible') return this.inner.restore(before);
    const store = this.required();
    if (before.existing) await store.putEligibility(eligibilityOf(before, before.existing));
    else await store.deleteEligibility(before.accountId, before.principalArn, before.profile);
  }

  async verifyRestored(before: BeforeState): Promise<string | undefined> {
    if (before.action !== 'make-eligible') return this.inner.verifyRestored(before);
    const found = await this.find(before);
    if (!before.existing) {
      return found ? `${before.principalArn} is still eligible for profile ${before.profile}.` : undefined;
    }
    return found?.createdAt === before.existing.createdAt &&
      found.sourceRequestId === before.existing.sourceRequestId
      ? undefined
      : `The earlier eligibility of ${before.principalArn} for profile ${before.profile} is not back.`;
  }

  private async find(target: MakeEligible | EligibleBefore): Promise<Eligibility | undefined> {
    const all = await this.required().listEligibility(target.accountId);
    return all.find((e) => e.principalArn === target.principalArn && e.profile === target.profile);
  }

  private required(): EligibilityStore {
    if (!this.store) {
      throw new EligibilityStoreMissingError(
        'converting to just-in-time records an eligibility, and this function has no eligibility store (just-in-time elevation is not configured for it)',
      );
    }
    return this.store;
  }
}

function eligibilityOf(
  before: EligibleBefore,
  existing: NonNullable<EligibleBefore['existing']>,
): Eligibility {
  return {
    principalArn: before.principalArn,
    profile: before.profile,
    accountId: before.accountId,
    grantedBy: existing.grantedBy,
    createdAt: existing.createdAt,
    ...(existing.sourceRequestId !== undefined ? { sourceRequestId: existing.sourceRequestId } : {}),
    ...(existing.lastUsedAt !== undefined ? { lastUsedAt: existing.lastUsedAt } : {}),
  };
}
