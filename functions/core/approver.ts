import * as z from 'zod';

/**
 * A Slack person who may decide: workspace (team) id and user id together, since a user id alone
 * is only unique within its workspace. Remediation and elevation profiles share the shape.
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
