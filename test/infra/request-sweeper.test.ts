import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, nagViolations, roleStatements, type Synthesized, synthesize } from './synth';

const CONFIG = {
  slackChannelId: 'C0123ABCD',
  approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }],
};

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('the request sweeper in the stack', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(CONFIG, { bundle: false });
  }, 120_000);

  const parts = () => {
    const { sweeper, slack, remediation } = synth.stack;
    if (!sweeper || !slack || !remediation) throw new Error('the sweeper is not in the stack');
    return { sweeper, slack, remediation };
  };

  it('may read and move requests in the table, read the bot token, and nothing else', () => {
    const { sweeper, slack } = parts();
    const statements = roleStatements(synth.template, logicalId(sweeper.role));
    const actions = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));
    const services = [...new Set(actions.map((a) => a.split(':')[0]))].sort();
    expect(services).toEqual(['dynamodb', 'kms', 'logs', 'secretsmanager']);
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const table = logicalId(synth.stack.findings.table);
    for (const statement of statements.filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('dynamodb:')),
    )) {
      expect(JSON.stringify(statement.Resource)).toContain(table);
    }
    const secretStatements = statements.filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements.flatMap((s) => asArray(s.Action)).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(secretStatements.map((s) => s.Resource)).toEqual([{ Ref: logicalId(slack.botToken) }]);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(
      synth.template.toJSON().Resources[logicalId(sweeper.role)].Properties.ManagedPolicyArns,
    ).toBeUndefined();
  });

  it('knows the remediation function’s timeout, the bot token and the table from its environment', () => {
    const { sweeper, slack, remediation } = parts();
    const fn = synth.template.toJSON().Resources[logicalId(sweeper.function)].Properties;
    const remediate = synth.template.toJSON().Resources[logicalId(remediation.function)].Properties;
    expect(fn.Environment.Variables).toMatchObject({
      FINDINGS_TABLE_NAME: { Ref: logicalId(synth.stack.findings.table) },
      SLACK_BOT_TOKEN_SECRET_ARN: { Ref: logicalId(slack.botToken) },
      REMEDIATION_TIMEOUT_SECONDS: String(remediate.Timeout),
    });
    expect(remediate.Timeout).toBe(300);
    expect(fn.ReservedConcurrentExecutions).toBe(1);
  });

  it('runs every 15 minutes', () => {
    const { sweeper } = parts();
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: Match.arrayWith([
        Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(sweeper.function), 'Arn'] } }),
      ]),
    });
  });

  it('keeps cdk-nag clean', () => {
    expect(nagViolations(synth.app).filter((v) => v.path.includes('RequestSweeper'))).toEqual([]);
  });

  it('is not deployed without Slack approval', () => {
    const bare = synthesize({}, { bundle: false });
    expect(bare.stack.sweeper).toBeUndefined();
    const functions = bare.template.findResources('AWS::Lambda::Function');
    expect(JSON.stringify(functions)).not.toContain('expires unanswered remediation requests');
  }, 120_000);
});
