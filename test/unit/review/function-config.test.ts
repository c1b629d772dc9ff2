import { describe, expect, it } from 'vitest';
import { ReviewsDeploySchema } from '../../../functions/core/review/config';
import {
  parseReviewFunctionConfig,
  parseReviewInteractionConfig,
  parseReviewScanConfig,
  ReviewConfigError,
  reviewFunctionEnvironment,
  reviewInteractionEnvironment,
  reviewScanEnvironment,
} from '../../../functions/core/review/function-config';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:iam-posture/bot-AbCdEf';

describe('the review function environment', () => {
  it('reads back what the stack writes', () => {
    const env = reviewFunctionEnvironment({
      findingsTableName: 'findings',
      eventBusName: 'bus',
      botTokenSecretArn: SECRET,
      ownerSlack: { 'team-payments': 'U0PAYMENTS' },
      escalationChannel: 'C0ESCALATE',
    });
    expect(parseReviewFunctionConfig(env)).toEqual({
      findingsTableName: 'findings',
      eventBusName: 'bus',
      botTokenSecretArn: SECRET,
      ownerSlack: { 'team-payments': 'U0PAYMENTS' },
      escalationChannel: 'C0ESCALATE',
    });
  });

  it('names each bad variable', () => {
    expect(() =>
      parseReviewFunctionConfig({
        FINDINGS_TABLE_NAME: 't',
        EVENT_BUS_NAME: 'b',
        SLACK_BOT_TOKEN_SECRET_ARN: 'xoxb-not-an-arn',
        OWNER_SLACK_TARGETS: '{"team":"not a target"}',
        REVIEW_ESCALATION_CHANNEL: '#Not Valid',
      }),
    ).toThrow(
      new ReviewConfigError([
        'SLACK_BOT_TOKEN_SECRET_ARN: must be a Secrets Manager secret ARN',
        'OWNER_SLACK_TARGETS.team: must be a Slack user id like U0123ABCD, a channel id like C0123ABCD, or a #channel-name',
        'REVIEW_ESCALATION_CHANNEL: must be a Slack user id like U0123ABCD, a channel id like C0123ABCD, or a #channel-name',
      ]),
    );
  });
});

describe('the review route in the interaction function', () => {
  const written = reviewInteractionEnvironment({
    ownerSlack: { 'team-payments': 'U0PAYMENTS' },
    reviewers: [{ teamId: 'T0123ABCD', userId: 'U0REVIEWER' }],
    attestationDays: 30,
    channelId: 'C0APPROVAL',
    protection: { protectedArns: ['arn:aws:iam::*:role/keep'], breakGlassArns: [], ownArns: [] },
  });

  it('is absent unless reviews are enabled there', () => {
    expect(parseReviewInteractionConfig({})).toBeUndefined();
    expect(parseReviewInteractionConfig({ ...written, REVIEWS_ENABLED: 'false' })).toBeUndefined();
  });

  it('reads back what the stack writes', () => {
    expect(parseReviewInteractionConfig(written)).toEqual({
      ownerSlack: { 'team-payments': 'U0PAYMENTS' },
      reviewers: [{ teamId: 'T0123ABCD', userId: 'U0REVIEWER' }],
      attestationDays: 30,
      channelId: 'C0APPROVAL',
      protection: { protectedArns: ['arn:aws:iam::*:role/keep'], breakGlassArns: [], ownArns: [] },
    });
  });

  it('needs the approval channel, and a whole number of attestation days in bounds', () => {
    const { SLACK_CHANNEL_ID: _channel, ...withoutChannel } = written;
    expect(() => parseReviewInteractionConfig(withoutChannel)).toThrow(
      /SLACK_CHANNEL_ID: is required when REVIEWS_ENABLED/,
    );
    expect(() => parseReviewInteractionConfig({ ...written, REVIEW_ATTESTATION_DAYS: '366' })).toThrow(
      'REVIEW_ATTESTATION_DAYS: must be at most 365',
    );
    expect(() => parseReviewInteractionConfig({ ...written, REVIEW_REVIEWERS: '[{"teamId":"x"}]' })).toThrow(
      /REVIEW_REVIEWERS\.0\.teamId/,
    );
  });
});

describe('reviews in the scan function', () => {
  it('carries the rhythms and timing, not the reviewers or the escalation channel', () => {
    const reviews = ReviewsDeploySchema.parse({
      enabled: true,
      escalationChannel: 'C0ESCALATE',
      reviewers: [{ teamId: 'T0123ABCD', userId: 'U0REVIEWER' }],
      deadlineDays: 10,
    });
    const env = reviewScanEnvironment(reviews);
    expect(JSON.parse(env.REVIEWS!)).toEqual({
      enabled: true,
      rhythms: reviews.rhythms,
      deadlineDays: 10,
      remindBeforeDays: 3,
      attestationDays: 90,
    });
    expect(parseReviewScanConfig(env)).toMatchObject({ enabled: true, deadlineDays: 10, reviewers: [] });
  });

  it('is off without the variable, or when disabled, and names a bad value', () => {
    expect(parseReviewScanConfig({})).toBeUndefined();
    expect(parseReviewScanConfig({ REVIEWS: '{"enabled":false}' })).toBeUndefined();
    expect(() => parseReviewScanConfig({ REVIEWS: '{"enabled":true,"deadlineDays":0}' })).toThrow(
      /REVIEWS\.deadlineDays/,
    );
  });
});
