import { beforeAll, describe, expect, it } from 'vitest';
import {
  parseReviewInteractionConfig,
  parseReviewScanConfig,
} from '../../functions/core/review/function-config';
import {
  acknowledgements,
  logicalId,
  nagViolations,
  type PolicyStatement,
  roleStatements,
  type Synthesized,
  synthesize,
} from './synth';

type Json = Record<string, unknown>;
const CONFIG = {
  slackChannelId: 'C0123ABCD',
  approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }],
  ownership: { tagKeys: ['owner'], slack: { 'team-payments': 'U0PAYMENTS', 'team-ops': 'C0OPSCHAN' } },
  reviews: {
    enabled: true,
    escalationChannel: 'C0ESCALATE',
    reviewers: [{ teamId: 'T0123ABCD', userId: 'U0REVIEWER' }],
    attestationDays: 60,
  },
};

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const actionsOf = (statements: PolicyStatement[]) =>
  statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));

describe('entitlement reviews in the stack', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(CONFIG, { bundle: false });
  }, 120_000);

  const parts = () => {
    const { reviews, slack } = synth.stack;
    if (!reviews || !slack) throw new Error('reviews are not in the stack');
    return { reviews, slack };
  };
  const resources = () =>
    synth.template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;

  it('is deployed only when reviews are enabled and Slack is configured', () => {
    expect(synth.stack.reviews).toBeDefined();
    expect(
      synthesize({ ...CONFIG, reviews: { enabled: false } }, { bundle: false }).stack.reviews,
    ).toBeUndefined();
    const { slackChannelId: _channel, ...withoutSlack } = CONFIG;
    expect(synthesize(withoutSlack, { bundle: false }).stack.reviews).toBeUndefined();
  });

  it('gives the review function the table, bus, bot token, owners and escalation channel', () => {
    const { reviews, slack } = parts();
    const fn = resources()[logicalId(reviews.function)]!.Properties;
    const variables = (fn.Environment as { Variables: Json }).Variables;
    const own = Object.fromEntries(
      Object.entries(variables).filter(([name]) => !/^(POWERTOOLS_|NODE_|AWS_)/.test(name)),
    );
    expect(own).toEqual({
      FINDINGS_TABLE_NAME: { Ref: logicalId(synth.stack.findings.table) },
      EVENT_BUS_NAME: { Ref: logicalId(synth.stack.events.bus) },
      SLACK_BOT_TOKEN_SECRET_ARN: { Ref: logicalId(slack.botToken) },
      OWNER_SLACK_TARGETS: JSON.stringify({ 'team-payments': 'U0PAYMENTS', 'team-ops': 'C0OPSCHAN' }),
      REVIEW_ESCALATION_CHANNEL: 'C0ESCALATE',
    });
    expect(fn.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [logicalId(reviews.deadLetterQueue.queue), 'Arn'] },
    });
  });

  it('lets the review function read and mark review items, publish, read the bot token, and nothing else', () => {
    const { reviews, slack } = parts();
    const statements = roleStatements(synth.template, logicalId(reviews.role));
    const actions = actionsOf(statements);
    expect([...new Set(actions.map((a) => a.split(':')[0]))].sort()).toEqual([
      'dynamodb',
      'events',
      'kms',
      'logs',
      'secretsmanager',
      'sqs',
    ]);
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actions.filter((a) => a.startsWith('events:'))).toEqual(['events:PutEvents']);
    const secretStatements = statements.filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements.map((s) => s.Resource)).toEqual([{ Ref: logicalId(slack.botToken) }]);
    expect(actions.filter((a) => a.startsWith('iam:'))).toEqual([]);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('announces started campaigns and runs the advance daily, both with a dead-letter queue', () => {
    const { reviews } = parts();
    const rules = resources();
    const started = rules[logicalId(reviews.startedRule)]!.Properties;
    expect(started.EventPattern).toEqual({
      source: ['iam-posture'],
      'detail-type': ['ReviewCampaignStarted'],
    });
    expect(started.EventBusName).toEqual({ Ref: logicalId(synth.stack.events.bus) });
    const advance = rules[logicalId(reviews.advanceRule)]!.Properties;
    expect(advance.ScheduleExpression).toBe('cron(0 8 * * ? *)');
    const [advanceTarget] = advance.Targets as Json[];
    expect(JSON.parse(advanceTarget!.Input as string)).toEqual({ action: 'advance' });
    for (const rule of [started, advance]) {
      const [target] = rule.Targets as Json[];
      expect(target).toMatchObject({
        Arn: { 'Fn::GetAtt': [logicalId(reviews.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(reviews.deadLetterQueue.queue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21600 },
      });
    }
  });

  it('alarms on the review function’s errors, throttles and dead letters', () => {
    const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm.Properties as Json).AlarmDescription as string,
    );
    expect(alarms.filter((d) => d.startsWith('Review:')).sort()).toEqual([
      'Review: a message is waiting in the dead-letter queue (review announcements and daily advances that failed every retry).',
      'Review: invocations were throttled (reserved concurrency or account quota).',
      'Review: the function failed (error or timeout). See its log group.',
    ]);
  });

  it('gives the interaction endpoint the review route, which its config parser accepts', () => {
    const { slack } = parts();
    const variables = (
      resources()[logicalId(slack.interaction)]!.Properties.Environment as { Variables: Json }
    ).Variables;
    const strings = Object.fromEntries(
      Object.entries(variables).filter(([, v]) => typeof v === 'string'),
    ) as Record<string, string>;
    expect(
      parseReviewInteractionConfig({
        ...strings,
        OWN_ARNS: '["arn:aws:iam::111122223333:role/IamPosture*"]',
      }),
    ).toEqual({
      ownerSlack: { 'team-payments': 'U0PAYMENTS', 'team-ops': 'C0OPSCHAN' },
      reviewers: [{ teamId: 'T0123ABCD', userId: 'U0REVIEWER' }],
      attestationDays: 60,
      escalationChannel: 'C0ESCALATE',
      channelId: 'C0123ABCD',
      protection: {
        protectedArns: [],
        breakGlassArns: [],
        ownArns: ['arn:aws:iam::111122223333:role/IamPosture*'],
      },
    });
    const actions = actionsOf(roleStatements(synth.template, logicalId(slack.interactionRole)));
    expect([...new Set(actions.filter((a) => a.startsWith('dynamodb:')))].sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actions.filter((a) => a.startsWith('iam:'))).toEqual([]);
  });

  it('lets the scan function start due campaigns: the rhythms and timing, without the reviewers', () => {
    const scan = resources()[logicalId(synth.stack.scan.function)]!.Properties;
    const variables = (scan.Environment as { Variables: Record<string, string> }).Variables;
    expect(JSON.parse(variables.REVIEWS!)).toEqual({
      enabled: true,
      rhythms: [
        { name: 'quarterly', every: 'quarterly', scope: 'all' },
        { name: 'admin-monthly', every: 'monthly', scope: 'admin-equivalent' },
      ],
      deadlineDays: 14,
      remindBeforeDays: 3,
      attestationDays: 60,
    });
    expect(parseReviewScanConfig(variables)).toMatchObject({ enabled: true, deadlineDays: 14 });
    const statements = roleStatements(synth.template, logicalId(synth.stack.scannerRole.role));
    const indexQuery = statements.find(
      (s) => asArray(s.Action).includes('dynamodb:Query') && JSON.stringify(s.Resource).includes('/index/*'),
    );
    expect(indexQuery).toBeDefined();
  });

  it('passes cdk-nag, acknowledging only the index wildcards of the table grants', () => {
    expect(nagViolations(synth.app)).toEqual([]);
    const own = acknowledgements(synth.app).filter(
      (a) => a.path.startsWith('IamPosture/Reviews') || /Interaction|Scanner\/Role/.test(a.path),
    );
    for (const ack of own) expect(String(ack.reason)).toMatch(/indexes of this one table/);
  });
});
