import * as z from 'zod';

/**
 * Slack identifiers as the deploy config names them. Features other than the deploy config itself
 * (approvers of a remediation, reviewers of a campaign) import these without importing the whole
 * deploy config, which imports each feature's own settings.
 */

export const ApproverSchema = z
  .object({
    /** Slack workspace (team) id, e.g. T0123ABCD. */
    teamId: z.string().regex(/^T[A-Z0-9]{6,}$/, 'must be a Slack team id like T0123ABCD'),
    /** Slack user id, e.g. U0123ABCD. */
    userId: z.string().regex(/^[UW][A-Z0-9]{6,}$/, 'must be a Slack user id like U0123ABCD'),
  })
  .strict();

export type Approver = z.infer<typeof ApproverSchema>;

/**
 * A Slack member id (`U...`, `W...` for Enterprise Grid), a channel id (`C...`, `G...` for an older
 * private channel), or a `#channel-name` (Slack's own naming rules: lowercase, at most 80).
 */
export const SlackTargetSchema = z
  .string()
  .regex(
    /^([UW][A-Z0-9]{6,}|[CG][A-Z0-9]{6,}|#[a-z0-9][a-z0-9_-]{0,79})$/,
    'must be a Slack user id like U0123ABCD, a channel id like C0123ABCD, or a #channel-name',
  );
