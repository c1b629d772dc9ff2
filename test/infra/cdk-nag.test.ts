import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acknowledgements, nagViolations, synthesize } from './synth';

/** Every feature on: each optional resource and grant is present, so each must pass the checks. */
const FULL_CONFIG = {
  schedule: 'cron(0 6 * * ? *)',
  secretsRegions: 'all',
  alarmEmail: 'security@example.com',
  reservedConcurrency: 'none',
  tracing: true,
  approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }],
  slackChannelId: 'C0123ABCD',
  protectedArns: ['arn:aws:iam::111122223333:role/keep-*'],
  reports: { enabled: true },
};

const ruleIds = (list: { id?: string; rule?: string }[]) => list.map((a) => a.id ?? a.rule).sort();

describe('cdk-nag AwsSolutions', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reports nothing unacknowledged on the default stack', () => {
    const { app } = synthesize({}, { bundle: false });
    expect(nagViolations(app)).toEqual([]);
  });

  it('reports nothing unacknowledged with every optional feature enabled', () => {
    const { app } = synthesize(FULL_CONFIG, { bundle: false });
    expect(nagViolations(app)).toEqual([]);
  });

  it('would report an unacknowledged wildcard: the check is live', () => {
    const app = new App();
    const stack = new Stack(app, 'Probe');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:ListUsers'], resources: ['*'] }));
    expect(nagViolations(app)).toContainEqual({
      rule: 'AwsSolutions-IAM5[Resource::*]',
      severity: 'error',
      path: 'Probe/Role/DefaultPolicy/Resource',
    });
  });

  it('acknowledges only findings that occur: without the acknowledgements, exactly these are reported', () => {
    const acknowledged = ruleIds(acknowledgements(synthesize(FULL_CONFIG, { bundle: false }).app));
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const reported = ruleIds(nagViolations(synthesize(FULL_CONFIG, { bundle: false }).app));
    expect(reported).toEqual(acknowledged);
  });

  it('acknowledges exactly this reviewed list, each with a written reason', () => {
    const list = acknowledgements(synthesize(FULL_CONFIG, { bundle: false }).app);
    expect(list.map((a) => `${a.path} ${a.id}`).sort()).toEqual(
      [
        'IamPosture/Scanner/CollectorRead AwsSolutions-IAM5[Resource::*]',
        'IamPosture/Scanner/CollectorRead AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
        'IamPosture/Scanner/CollectorRead AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]',
        'IamPosture/Scanner/CollectorRead AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:group/*]',
        'IamPosture/Scanner/CollectorRead AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*]',
        'IamPosture/Scanner/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'IamPosture/Schedule/DeadLetters/Queue AwsSolutions-SQS3',
        'IamPosture/Reports/Bucket AwsSolutions-S1',
        'IamPosture/Reports/ArchivePolicy AwsSolutions-IAM5[Resource::<ReportsBucket95FE29A2.Arn>/reports/*]',
        'IamPosture/Slack/SigningSecret AwsSolutions-SMG4',
        'IamPosture/Slack/BotToken AwsSolutions-SMG4',
        'IamPosture/Slack/InteractionRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'IamPosture/Slack/NotifyRole AwsSolutions-IAM5[Resource::<FindingsTableBD064B5B.Arn>/index/*]',
        'IamPosture/Slack/NotifyRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'IamPosture/Remediation/Role AwsSolutions-IAM5[Resource::<FindingsTableBD064B5B.Arn>/index/*]',
        'IamPosture/Remediation/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'IamPosture/Remediation/RollbackActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:group/*]',
        'IamPosture/Remediation/RollbackActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy/*]',
        'IamPosture/Remediation/RollbackActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
        'IamPosture/Remediation/RollbackActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]',
        'IamPosture/Remediation/RollbackActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::aws:policy/*]',
        'IamPosture/Remediation/RollbackActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*]',
        'IamPosture/Remediation/RollbackRole AwsSolutions-IAM5[Resource::<FindingsTableBD064B5B.Arn>/index/*]',
        'IamPosture/Remediation/RollbackRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'IamPosture/RequestSweeper/Role AwsSolutions-IAM5[Resource::<FindingsTableBD064B5B.Arn>/index/*]',
        'IamPosture/RequestSweeper/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'IamPosture/Remediation/CatalogActions AwsSolutions-IAM5[Resource::*]',
        'IamPosture/Remediation/CatalogActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
        'IamPosture/Remediation/CatalogActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]',
        'IamPosture/Remediation/CatalogActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:group/*]',
        'IamPosture/Remediation/CatalogActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy/*]',
        'IamPosture/Remediation/CatalogActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::aws:policy/*]',
        'IamPosture/Remediation/CatalogActions AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*]',
      ].sort(),
    );
    for (const { id, reason } of list) {
      expect(typeof reason, id).toBe('string');
      const text = (reason as string).trim();
      expect(text.length, `reason for ${id}`).toBeGreaterThanOrEqual(60);
      expect(text, `reason for ${id}`).not.toMatch(/\b(todo|tbd|fixme|n\/a)\b/i);
    }
  });
});
