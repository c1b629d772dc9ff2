import type { Actor } from '../core/remediation/request';

/**
 * The JIT function's operations, bound to their adapters: what the handler dispatches to.
 */
export interface JitOperations {
  grant(grantId: string): Promise<{ outcome: string; reason?: string }>;
  revoke(input: {
    grantId: string;
    by: Actor;
    reason: 'expired' | 'done';
  }): Promise<{ outcome: string; reason?: string }>;
  /** Lapses unanswered requests, then removes grant policies that outlived their grant. */
  reconcile(): Promise<{
    lapsed: string[];
    removed: { principalArn: string; policyName: string }[];
    expired: string[];
    failed: { principalArn: string; policyName: string; error: string }[];
  }>;
  /** Keeps the grant's Slack message current; absent when Slack is not configured for it. */
  announce?: (grantId: string) => Promise<void>;
}

export function jitHandlerOperations(_env: NodeJS.ProcessEnv, _functionArn: string): JitOperations {
  throw new Error('not wired yet');
}
