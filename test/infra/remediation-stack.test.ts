import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanSettingsOf } from '../../functions/core/deploy-config';
import {
  actingPermissions,
  increasesPrivilege,
  QUARANTINE_POLICY_DOCUMENT,
  QUARANTINE_POLICY_NAME,
  ROTATION_INVOKE_ACTION,
  rollbackPermissions,
} from '../../functions/core/remediation/catalog';
import { IAM_WRITE, REMEDIATION_EVENT_TYPES } from '../../lib/constructs/remediation';
import { logicalId, nagViolations, type Synthesized, synthesize } from './synth';

type Json = Record<string, unknown>;
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
  Condition?: unknown;
}

const CONFIG = {
  slackChannelId: 'C0123ABCD',
  approvers: [
    { teamId: 'T0123ABCD', userId: 'U0123ABCD' },
    { teamId: 'T0123ABCD', userId: 'U0456EFGH' },
  ],
  protectedArns: ['arn:aws:iam::111122223333:role/keep-*'],
  breakGlassArns: ['arn:aws:iam::111122223333:user/break-glass'],
  ownership: { slack: { 'team-payments': 'C0PAYMENTS' } },
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

  describe('the acting remediation role', () => {
    it('is allowed exactly the acting catalog actions, in its catalog policy (no invoke without rotation functions)', () => {
      const { remediation } = stackParts();
      const catalog = statementsOf(synth, logicalId(remediation.role))[logicalId(remediation.actionsPolicy)];
      expect(catalog).toBeDefined();
      const actions = allowedActions(catalog!);
      expect([...actions].sort()).toEqual(actingPermissions().filter((a) => a !== ROTATION_INVOKE_ACTION));
      expect(new Set(actions).size).toBe(actions.length);
    });

    it('allows no privilege-increasing action but attaching the stack’s quarantine policy', () => {
      const { remediation } = stackParts();
      const statements = Object.values(statementsOf(synth, logicalId(remediation.role))).flat();
      const increasing = statements
        .filter((s) => s.Effect === 'Allow')
        .filter((s) => asArray(s.Action).some((a) => increasesPrivilege(a) || a.startsWith('lambda:')));
      expect(increasing).toEqual([
        {
          Sid: 'AttachOnlyTheQuarantinePolicy',
          Effect: 'Allow',
          Action: 'iam:AttachRolePolicy',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/*'],
            ],
          },
          Condition: { ArnEquals: { 'iam:PolicyARN': { Ref: logicalId(remediation.quarantinePolicy) } } },
        },
      ]);
      // None of the re-granting actions, whatever the policy.
      const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));
      for (const regrant of [
        'iam:AttachUserPolicy',
        'iam:AttachGroupPolicy',
        'iam:PutRolePolicy',
        'iam:PutUserPolicy',
        'iam:PutGroupPolicy',
        'iam:CreatePolicyVersion',
        'iam:SetDefaultPolicyVersion',
        'iam:PassRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:AddUserToGroup',
        'secretsmanager:UpdateSecretVersionStage',
      ]) {
        expect(allowed, regrant).not.toContain(regrant);
      }
      expect(allowed.filter((a) => a.includes('*'))).toEqual([]);
    });

    it('quarantines with the stack’s customer managed deny-all policy', () => {
      const { remediation } = stackParts();
      const policy = synth.template.toJSON().Resources[logicalId(remediation.quarantinePolicy)];
      expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
      expect(policy.Properties.ManagedPolicyName).toBe(QUARANTINE_POLICY_NAME);
      expect(policy.Properties.PolicyDocument).toEqual(QUARANTINE_POLICY_DOCUMENT);
      expect(policy.Properties.Roles ?? []).toEqual([]);
      const env =
        synth.template.toJSON().Resources[logicalId(remediation.function)].Properties.Environment.Variables;
      expect(env.QUARANTINE_POLICY_ARN).toEqual({ Ref: logicalId(remediation.quarantinePolicy) });
      expect(env.ROTATION_FUNCTIONS).toBeUndefined();
    });

    it('gets no IAM, Secrets Manager or Lambda action from any other policy', () => {
      const { remediation } = stackParts();
      for (const [role, catalogPolicy] of [
        [remediation.role, remediation.actionsPolicy],
        [remediation.rollbackRole, remediation.rollbackPolicy],
      ] as const) {
        const policies = statementsOf(synth, logicalId(role));
        const others = Object.entries(policies)
          .filter(([id]) => id !== logicalId(catalogPolicy))
          .flatMap(([, statements]) => allowedActions(statements));
        expect(others.filter((a) => a.startsWith('iam:') || a.startsWith('lambda:'))).toEqual([]);
        // The bot token, to update Slack messages: read it, nothing else.
        expect([...new Set(others.filter((a) => a.startsWith('secretsmanager:')))].sort()).toEqual([
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
        ]);
        expect(others.filter((a) => a.includes('*'))).toEqual([]);
      }
    });

    it('scopes each catalog action to this account, and denies changes to own roles and protected principals', () => {
      const { remediation } = stackParts();
      for (const [role, policy, permissions] of [
        [remediation.role, remediation.actionsPolicy, actingPermissions()],
        [remediation.rollbackRole, remediation.rollbackPolicy, rollbackPermissions()],
      ] as const) {
        const catalog = statementsOf(synth, logicalId(role))[logicalId(policy)]!;
        const star = catalog.filter((s) => s.Effect === 'Allow' && s.Resource === '*');
        expect(star.flatMap((s) => asArray(s.Action))).toEqual(
          permissions.includes('iam:GetServiceLastAccessedDetails')
            ? ['iam:GetServiceLastAccessedDetails']
            : [],
        );
        const writes = allowedActions(catalog)
          .filter((a) => a.startsWith('iam:') && IAM_WRITE.test(a))
          .sort();
        expect(writes.length).toBeGreaterThan(2);
        const deny = (sid: string) => catalog.find((s) => s.Effect === 'Deny' && s.Sid === sid);
        const own = deny('NeverChangeOwnRoles');
        expect(asArray(own!.Action).sort()).toEqual(writes);
        expect(JSON.stringify(own!.Resource)).toContain(':role/IamPosture-*');
        for (const [sid, key] of [
          ['NeverChangeProtectedPrincipals', 'aws:ResourceTag/iam-posture:protected'],
          ['NeverChangeProtectedPrincipalsIam', 'iam:ResourceTag/iam-posture:protected'],
        ]) {
          const tagged = deny(sid!);
          expect(asArray(tagged!.Action).sort(), sid).toEqual(writes);
          expect(tagged!.Resource).toBe('*');
          expect(tagged!.Condition).toEqual({ StringEqualsIgnoreCase: { [key!]: 'true' } });
        }
        const secrets = deny('NeverChangeProtectedSecrets');
        expect(asArray(secrets!.Action).sort()).toEqual(
          permissions.filter((a) => /^secretsmanager:(RotateSecret|UpdateSecretVersionStage)$/.test(a)),
        );
      }
    });
  });

  describe('the rollback role', () => {
    it('is allowed exactly the rollback catalog actions, and nothing of Lambda', () => {
      const { remediation } = stackParts();
      const catalog = statementsOf(synth, logicalId(remediation.rollbackRole))[
        logicalId(remediation.rollbackPolicy)
      ];
      const actions = allowedActions(catalog!);
      expect([...actions].sort()).toEqual(rollbackPermissions());
      expect(actions.filter((a) => a.startsWith('lambda:'))).toEqual([]);
    });

    it('belongs to the rollback function, which only the RollbackRequested rule invokes', () => {
      const { remediation } = stackParts();
      const resources = synth.template.toJSON().Resources as Record<
        string,
        { Type: string; Properties: Json }
      >;
      const fn = resources[logicalId(remediation.rollbackFunction)]!.Properties;
      expect(fn.Role).toEqual({ 'Fn::GetAtt': [logicalId(remediation.rollbackRole), 'Arn'] });
      const rule = resources[logicalId(remediation.rollbackRule)]!.Properties as Json & {
        Targets: { Arn: unknown; DeadLetterConfig: { Arn: unknown } }[];
      };
      expect(rule.EventPattern).toEqual({ source: ['iam-posture'], 'detail-type': ['RollbackRequested'] });
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0]!.Arn).toEqual({
        'Fn::GetAtt': [logicalId(remediation.rollbackFunction), 'Arn'],
      });
      expect(rule.Targets[0]!.DeadLetterConfig.Arn).toEqual({
        'Fn::GetAtt': [logicalId(remediation.rollbackDeadLetterQueue.queue), 'Arn'],
      });
      const rollbackArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(remediation.rollbackFunction), 'Arn'] });
      // No other rule targets it, and no other rule carries RollbackRequested.
      for (const [id, resource] of Object.entries(resources)) {
        if (resource.Type !== 'AWS::Events::Rule' || id === logicalId(remediation.rollbackRule)) continue;
        expect(JSON.stringify(resource.Properties.Targets ?? []), id).not.toContain(rollbackArn);
        expect(JSON.stringify(resource.Properties.EventPattern ?? {}), id).not.toContain('RollbackRequested');
      }
      // The only invoke permission: EventBridge, from that rule.
      const permissions = Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::Permission' &&
          JSON.stringify(r.Properties.FunctionName).includes(logicalId(remediation.rollbackFunction)),
      );
      expect(permissions.map((p) => p.Properties)).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [logicalId(remediation.rollbackFunction), 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [logicalId(remediation.rollbackRule), 'Arn'] },
        },
      ]);
      // No role of the stack may invoke it either.
      expect(rolesAllowed(synth, 'lambda:InvokeFunction', logicalId(remediation.rollbackFunction))).toEqual(
        [],
      );
    });
  });

  describe('the acting remediation function', () => {
    it('is triggered by approvals only, on the findings bus, with a dead-letter queue', () => {
      const { remediation } = stackParts();
      const rule = synth.template.toJSON().Resources[logicalId(remediation.rule)].Properties;
      expect(rule.EventBusName).toEqual({ Ref: logicalId(synth.stack.events.bus) });
      expect(rule.EventPattern).toEqual({ source: ['iam-posture'], 'detail-type': ['RemediationApproved'] });
      expect(REMEDIATION_EVENT_TYPES).toEqual(['RemediationApproved']);
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
          logicalId(remediation.rollbackRole),
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

    it('knows the Slack user or channel of each owner', () => {
      const { slack } = stackParts();
      const env = synth.template.toJSON().Resources[logicalId(slack.notify)].Properties.Environment.Variables;
      expect(JSON.parse(env.OWNER_SLACK_TARGETS)).toEqual({ 'team-payments': 'C0PAYMENTS' });
    });
  });

  describe('hygiene', () => {
    it('reserves a small concurrency for the public Slack endpoint', () => {
      const { slack } = stackParts();
      const fn = synth.template.toJSON().Resources[logicalId(slack.interaction)].Properties;
      expect(fn.ReservedConcurrentExecutions).toBe(5);
      const custom = synthesize({ ...CONFIG, slackInteractionConcurrency: 2 }, { bundle: false });
      const interaction = custom.stack.slack!.interaction;
      expect(
        custom.template.toJSON().Resources[logicalId(interaction)].Properties.ReservedConcurrentExecutions,
      ).toBe(2);
      expect(() => synthesize({ ...CONFIG, slackInteractionConcurrency: 0 }, { bundle: false })).toThrow(
        /slackInteractionConcurrency: /,
      );
    });

    it('encrypts the Slack secrets and every log group with the stack’s key', () => {
      const { slack } = stackParts();
      const key = { 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] };
      for (const secret of [slack.signingSecret, slack.botToken]) {
        expect(synth.template.toJSON().Resources[logicalId(secret)].Properties.KmsKeyId).toEqual(key);
      }
      const logGroups = Object.values(synth.template.findResources('AWS::Logs::LogGroup'));
      // scan, notify, Slack interaction, remediate, rollback and the request sweeper
      expect(logGroups.length).toBe(6);
      for (const group of logGroups) expect((group.Properties as Json).KmsKeyId).toEqual(key);
    });

    it('lets CloudWatch Logs of this region use the key for this account’s log groups only', () => {
      const keyPolicy = synth.template.toJSON().Resources[logicalId(synth.stack.dataKey.key)].Properties
        .KeyPolicy as { Statement: (Statement & { Principal: unknown })[] };
      const logs = keyPolicy.Statement.find((s) => s.Sid === 'AllowCloudWatchLogs');
      expect(logs).toEqual({
        Sid: 'AllowCloudWatchLogs',
        Effect: 'Allow',
        Principal: {
          Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':logs:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':log-group:*',
                ],
              ],
            },
          },
        },
      });
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
    // scan, notify, Slack interaction, remediate, rollback and the request sweeper
    expect(Object.keys(functions)).toHaveLength(6);
    for (const fn of Object.values(functions)) {
      expect((fn.Properties as Json).Handler).toBe('index.handler');
    }
  }, 240_000);
});

describe('rotate-secret’s invoke permission', () => {
  const rotation = [
    'arn:aws:lambda:eu-west-1:111122223333:function:rotate-db',
    'arn:aws:lambda:eu-west-1:111122223333:function:SecretsManagerRotation-*',
  ];
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize({ ...CONFIG, remediation: { rotationFunctions: rotation } }, { bundle: false });
  }, 120_000);

  it('is granted to the acting role on the configured rotation functions only', () => {
    const remediation = synth.stack.remediation!;
    const statements = Object.values(statementsOf(synth, logicalId(remediation.role))).flat();
    const invoking = statements.filter(
      (s) => s.Effect === 'Allow' && asArray(s.Action).some((a) => a.startsWith('lambda:')),
    );
    expect(invoking).toEqual([
      {
        Sid: 'InvokeConfiguredRotationFunctions',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: rotation,
      },
    ]);
    const rollback = Object.values(statementsOf(synth, logicalId(remediation.rollbackRole))).flat();
    expect(rollback.flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('lambda:'))).toEqual([]);
    const env =
      synth.template.toJSON().Resources[logicalId(remediation.function)].Properties.Environment.Variables;
    expect(JSON.parse(env.ROTATION_FUNCTIONS)).toEqual(rotation);
    expect(nagViolations(synth.app)).toEqual([]);
  });

  it('refuses a pattern without a literal region, account or name prefix, naming the key', () => {
    for (const bad of [
      'arn:aws:lambda:*:111122223333:function:rotate',
      'arn:aws:lambda:eu-west-1:*:function:rotate',
      'arn:aws:lambda:eu-west-1:111122223333:function:*',
      'arn:aws:lambda:eu-west-1:111122223333:function:*rotate',
    ]) {
      expect(
        () => synthesize({ ...CONFIG, remediation: { rotationFunctions: [bad] } }, { bundle: false }),
        bad,
      ).toThrow(/remediation\.rotationFunctions\.0: must be a Lambda function ARN/);
    }
  });
});
