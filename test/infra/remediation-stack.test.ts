import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanSettingsOf } from '../../functions/core/deploy-config';
import { remediationPermissions } from '../../functions/core/remediation/catalog';
import { REMEDIATION_EVENT_TYPES } from '../../lib/constructs/remediation';
import { logicalId, nagViolations, type Synthesized, synthesize } from './synth';

type Json = Record<string, unknown>;
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
}

const CONFIG = {
  slackChannelId: 'C0123ABCD',
  approvers: [
    { teamId: 'T0123ABCD', userId: 'U0123ABCD' },
    { teamId: 'T0123ABCD', userId: 'U0456EFGH' },
  ],
  protectedArns: ['arn:aws:iam::111122223333:role/keep-*'],
  breakGlassArns: ['arn:aws:iam::111122223333:user/break-glass'],
};

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every AWS::IAM::Policy attached to the role, by policy logical id. */
function statementsOf(synth: Synthesized, roleLogicalId: string): Record<string, Statement[]> {
  const policies = synth.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.fromEntries(
    Object.entries(policies).map(([id, policy]) => [
      id,
      ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement,
    ]),
  );
}

const allowedActions = (statements: Statement[]) =>
  statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));

/** The logical ids of the roles allowed an action on a resource (by its logical id). */
function rolesAllowed(synth: Synthesized, action: string, resourceLogicalId: string): string[] {
  const policies = synth.template.findResources('AWS::IAM::Policy');
  const roles = new Set<string>();
  for (const policy of Object.values(policies)) {
    const props = policy.Properties as {
      Roles: { Ref: string }[];
      PolicyDocument: { Statement: Statement[] };
    };
    for (const statement of props.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow' || !asArray(statement.Action).includes(action)) continue;
      const resources = JSON.stringify(statement.Resource);
      if (resources.includes(resourceLogicalId) || resources === '"*"') {
        for (const role of props.Roles) roles.add(role.Ref);
      }
    }
  }
  return [...roles].sort();
}

describe('remediation and Slack approval in the stack', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(CONFIG, { bundle: false });
  }, 120_000);

  const stackParts = () => {
    const { slack, remediation } = synth.stack;
    if (!slack || !remediation) throw new Error('Slack approval and remediation are not in the stack');
    return { slack, remediation };
  };

  describe('the remediation role', () => {
    it('is allowed exactly the actions remediationPermissions() declares, in its catalog policy', () => {
      const { remediation } = stackParts();
      const catalog = statementsOf(synth, logicalId(remediation.role))[logicalId(remediation.actionsPolicy)];
      expect(catalog).toBeDefined();
      const actions = allowedActions(catalog!);
      expect([...actions].sort()).toEqual(remediationPermissions());
      expect(new Set(actions).size).toBe(actions.length);
    });

    it('gets no IAM, Secrets Manager or Lambda action from any other policy', () => {
      const { remediation } = stackParts();
      const policies = statementsOf(synth, logicalId(remediation.role));
      const others = Object.entries(policies)
        .filter(([id]) => id !== logicalId(remediation.actionsPolicy))
        .flatMap(([, statements]) => allowedActions(statements));
      expect(others.filter((a) => a.startsWith('iam:') || a.startsWith('lambda:'))).toEqual([]);
      // The bot token, to update Slack messages: read it, nothing else.
      expect([...new Set(others.filter((a) => a.startsWith('secretsmanager:')))].sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
      expect(others.filter((a) => a.includes('*'))).toEqual([]);
    });

    it('scopes each catalog action to this account, and denies changes to the stack’s own roles', () => {
      const { remediation } = stackParts();
      const catalog = statementsOf(synth, logicalId(remediation.role))[logicalId(remediation.actionsPolicy)]!;
      const star = catalog.filter((s) => s.Effect === 'Allow' && s.Resource === '*');
      expect(star.flatMap((s) => asArray(s.Action))).toEqual(['iam:GetServiceLastAccessedDetails']);
      const deny = catalog.find((s) => s.Effect === 'Deny');
      expect(deny?.Sid).toBe('NeverChangeOwnRoles');
      expect(asArray(deny!.Action)).toEqual(
        expect.arrayContaining([
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:DetachRolePolicy',
          'iam:AttachRolePolicy',
        ]),
      );
      expect(asArray(deny!.Action).every((a) => /^iam:(Attach|Detach|Delete|Put|Update)/.test(a))).toBe(true);
      expect(JSON.stringify(deny!.Resource)).toContain(':role/IamPosture-*');
    });

    it('is triggered by approvals and rollback requests on the findings bus, with a dead-letter queue', () => {
      const { remediation } = stackParts();
      const rule = synth.template.toJSON().Resources[logicalId(remediation.rule)].Properties;
      expect(rule.EventBusName).toEqual({ Ref: logicalId(synth.stack.events.bus) });
      expect(rule.EventPattern).toEqual({
        source: ['iam-posture'],
        'detail-type': [...REMEDIATION_EVENT_TYPES],
      });
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(remediation.function), 'Arn'] });
      expect(rule.Targets[0].DeadLetterConfig.Arn).toEqual({
        'Fn::GetAtt': [logicalId(remediation.deadLetterQueue.queue), 'Arn'],
      });
      expect(rule.Targets[0].RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: 3600,
        MaximumRetryAttempts: 4,
      });
    });

    it('sends a failed invocation straight to its dead-letter queue, and alarms on it', () => {
      const { remediation } = stackParts();
      const fn = synth.template.toJSON().Resources[logicalId(remediation.function)].Properties;
      expect(fn.DeadLetterConfig.TargetArn).toEqual({
        'Fn::GetAtt': [logicalId(remediation.deadLetterQueue.queue), 'Arn'],
      });
      synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(remediation.function) },
        MaximumRetryAttempts: 0,
      });
      const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map(
        (a) => (a.Properties as Json).AlarmDescription as string,
      );
      expect(alarms.filter((d) => d.startsWith('Remediation:'))).toHaveLength(3);
      expect(alarms.filter((d) => d.startsWith('SlackInteraction:'))).toHaveLength(2);
      expect(alarms.filter((d) => d.startsWith('SlackNotify:'))).toHaveLength(3);
    });

    it('reads its configuration from the environment the remediation config parses', () => {
      const { remediation } = stackParts();
      const env =
        synth.template.toJSON().Resources[logicalId(remediation.function)].Properties.Environment.Variables;
      expect(env.PROTECTED_ARNS).toBe(JSON.stringify(CONFIG.protectedArns));
      expect(env.BREAK_GLASS_ARNS).toBe(JSON.stringify(CONFIG.breakGlassArns));
      expect(env.SCAN_SETTINGS).toBe(JSON.stringify(scanSettingsOf(synth.stack.config)));
      expect(env.SLACK_CHANNEL_ID).toBe('C0123ABCD');
      expect(env.SLACK_BOT_TOKEN_SECRET_ARN).toEqual({ Ref: logicalId(stackParts().slack.botToken) });
      expect(JSON.stringify(env.OWN_ARNS)).toContain(':role/IamPosture-*');
    });
  });

  describe('the Slack interaction endpoint', () => {
    it('cannot call IAM (or anything but its table, its bus, its secrets, its logs)', () => {
      const { slack } = stackParts();
      const actions = Object.values(statementsOf(synth, logicalId(slack.interactionRole))).flatMap(
        allowedActions,
      );
      expect(actions.filter((a) => a.startsWith('iam:'))).toEqual([]);
      const services = [...new Set(actions.map((a) => a.split(':')[0]))].sort();
      expect(services).toEqual(['dynamodb', 'events', 'kms', 'logs', 'secretsmanager']);
      expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
      ]);
      expect(
        synth.template.toJSON().Resources[logicalId(slack.interactionRole)].Properties.ManagedPolicyArns,
      ).toBeUndefined();
    });

    it('is a Function URL without IAM auth: Slack’s signature, checked by the function, is the authentication', () => {
      const { slack } = stackParts();
      synth.template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        InvokeMode: 'BUFFERED',
        TargetFunctionArn: { 'Fn::GetAtt': [logicalId(slack.interaction), 'Arn'] },
      });
      const outputs = synth.template.toJSON().Outputs;
      expect(outputs.SlackInteractionUrl.Value).toEqual({
        'Fn::GetAtt': [logicalId(slack.interactionUrl), 'FunctionUrl'],
      });
    });

    it('gets secret ARNs and the approvers, never a secret value', () => {
      const { slack } = stackParts();
      const fn = synth.template.toJSON().Resources[logicalId(slack.interaction)].Properties;
      const env = fn.Environment.Variables;
      expect(env.SLACK_SIGNING_SECRET_ARN).toEqual({ Ref: logicalId(slack.signingSecret) });
      expect(env.SLACK_BOT_TOKEN_SECRET_ARN).toEqual({ Ref: logicalId(slack.botToken) });
      expect(JSON.parse(env.SLACK_APPROVERS)).toEqual(CONFIG.approvers);
      expect(fn.Timeout).toBeLessThanOrEqual(10);
    });
  });

  describe('the secrets', () => {
    it('are created with a placeholder the functions refuse, not a usable value', () => {
      const { slack } = stackParts();
      for (const secret of [slack.signingSecret, slack.botToken]) {
        const props = synth.template.toJSON().Resources[logicalId(secret)].Properties;
        expect(props.SecretString).toBeUndefined();
        expect(props.GenerateSecretString).toMatchObject({
          SecretStringTemplate: '{}',
          GenerateStringKey: 'iamPosturePlaceholder',
        });
      }
    });

    it('are readable only by the functions that need them', () => {
      const { slack, remediation } = stackParts();
      expect(rolesAllowed(synth, 'secretsmanager:GetSecretValue', logicalId(slack.signingSecret))).toEqual([
        logicalId(slack.interactionRole),
      ]);
      expect(rolesAllowed(synth, 'secretsmanager:GetSecretValue', logicalId(slack.botToken))).toEqual(
        [
          logicalId(slack.interactionRole),
          logicalId(slack.notifyRole),
          logicalId(remediation.role),
          logicalId(synth.stack.sweeper!.role),
        ].sort(),
      );
      expect(rolesAllowed(synth, 'secretsmanager:GetSecretValue', 'no-such-resource')).toEqual([]);
    });
  });

  describe('the notifier', () => {
    it('is triggered by FindingOpened, with a dead-letter queue, and cannot call IAM', () => {
      const { slack } = stackParts();
      const rule = synth.template.toJSON().Resources[logicalId(slack.notifyRule)].Properties;
      expect(rule.EventPattern).toEqual({ source: ['iam-posture'], 'detail-type': ['FindingOpened'] });
      expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(slack.notify), 'Arn'] });
      expect(rule.Targets[0].DeadLetterConfig.Arn).toEqual({
        'Fn::GetAtt': [logicalId(slack.notifyDeadLetterQueue.queue), 'Arn'],
      });
      const actions = Object.values(statementsOf(synth, logicalId(slack.notifyRole))).flatMap(allowedActions);
      expect(actions.filter((a) => a.startsWith('iam:') || a.startsWith('events:'))).toEqual([]);
    });

    it('knows the protected, break-glass and own ARNs to refuse before asking anyone', () => {
      const { slack } = stackParts();
      const env = synth.template.toJSON().Resources[logicalId(slack.notify)].Properties.Environment.Variables;
      expect(env.SLACK_CHANNEL_ID).toBe('C0123ABCD');
      expect(env.PROTECTED_ARNS).toBe(JSON.stringify(CONFIG.protectedArns));
      expect(env.BREAK_GLASS_ARNS).toBe(JSON.stringify(CONFIG.breakGlassArns));
      expect(JSON.stringify(env.OWN_ARNS)).toContain(':role/IamPosture-*');
    });
  });

  it('keeps cdk-nag AwsSolutions clean', () => {
    expect(nagViolations(synth.app)).toEqual([]);
  });

  it('leaves Slack approval and remediation out when no Slack channel is configured', () => {
    const plain = synthesize({}, { bundle: false });
    expect(plain.stack.slack).toBeUndefined();
    expect(plain.stack.remediation).toBeUndefined();
    expect(Object.keys(plain.template.findResources('AWS::Lambda::Function'))).toHaveLength(1);
    expect(Object.keys(plain.template.findResources('AWS::SecretsManager::Secret'))).toHaveLength(0);
    expect(Object.keys(plain.template.findResources('AWS::Lambda::Url'))).toHaveLength(0);
  });
});

describe('the Slack and remediation bundles', () => {
  it('build with esbuild for every function', () => {
    const synth = synthesize(CONFIG);
    const functions = synth.template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(5);
    for (const fn of Object.values(functions)) {
      expect((fn.Properties as Json).Handler).toBe('index.handler');
    }
  }, 240_000);
});
