import * as z from 'zod';
import { ApproverSchema, SlackTargetSchema } from '../slack/ids';
import { strictObject } from '../thresholds';

/**
 * The `reviews` key of the deploy config: on which rhythms owners review their non-human
 * identities, how long they have, and who hears about what is left unanswered. Off by default.
 */

export const REVIEW_PERIODS = ['quarterly', 'monthly', 'weekly'] as const;
export type ReviewPeriod = (typeof REVIEW_PERIODS)[number];

/** Which identities a campaign lists. */
export const REVIEW_SCOPES = ['all', 'admin-equivalent', 'escalation'] as const;
export type ReviewScope = (typeof REVIEW_SCOPES)[number];

/** A rhythm name is part of campaign ids and Slack button values: short, lowercase, no separators but `-`. */
const rhythmName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a rhythm name is lowercase letters, digits and "-" (at most 40)')
  .refine((name) => name !== 'manual', 'the rhythm name "manual" is kept for campaigns started by hand');

export const ReviewRhythmSchema = strictObject({
  name: rhythmName,
  every: z.enum(REVIEW_PERIODS),
  scope: z.enum(REVIEW_SCOPES).default('all'),
});
export type ReviewRhythm = z.output<typeof ReviewRhythmSchema>;

export const DEFAULT_REVIEW_RHYTHMS: ReviewRhythm[] = [
  { name: 'quarterly', every: 'quarterly', scope: 'all' },
  { name: 'admin-monthly', every: 'monthly', scope: 'admin-equivalent' },
];

export const ReviewsDeploySchema = strictObject({
  enabled: z.boolean().default(false),
  rhythms: z
    .array(ReviewRhythmSchema)
    .default(DEFAULT_REVIEW_RHYTHMS)
    .superRefine((rhythms, ctx) => {
      const seen = new Set<string>();
      rhythms.forEach((rhythm, index) => {
        if (seen.has(rhythm.name)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `rhythm "${rhythm.name}" is named twice`,
          });
        }
        seen.add(rhythm.name);
      });
    }),
  /** Days an owner has to answer, from the campaign's start. */
  deadlineDays: z.int().min(1).max(90).default(14),
  /** Unanswered owners are reminded this many days before the deadline. */
  remindBeforeDays: z.int().min(0).max(89).default(3),
  /** How long a "keep" answer holds before the identity needs a new one. */
  attestationDays: z.int().min(1).max(365).default(90),
  /** Where items left unanswered at the deadline, and "not mine" answers without a new owner, go. */
  escalationChannel: SlackTargetSchema.optional(),
  /** People who may answer for any owner (a security team); none by default. */
  reviewers: z.array(ApproverSchema).default([]),
}).superRefine((config, ctx) => {
  if (config.remindBeforeDays >= config.deadlineDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['remindBeforeDays'],
      message: `must be less than deadlineDays (${config.deadlineDays}): the reminder comes after the campaign starts`,
    });
  }
});

export type ReviewsDeployConfig = z.output<typeof ReviewsDeploySchema>;

/** The campaign timing a use case needs (the deploy config's numbers). */
export type ReviewTiming = Pick<ReviewsDeployConfig, 'deadlineDays' | 'remindBeforeDays' | 'attestationDays'>;

export const DEFAULT_REVIEW_TIMING: ReviewTiming = {
  deadlineDays: 14,
  remindBeforeDays: 3,
  attestationDays: 90,
};
