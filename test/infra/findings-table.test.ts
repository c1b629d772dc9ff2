import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { FINDINGS_TABLE } from '../../functions/core/findings-table';
import { DataKey } from '../../lib/constructs/data-key';
import { FindingsTable } from '../../lib/constructs/findings-table';
import { acknowledgements, logicalId, nagViolations } from './synth';

function tableWithReader(indexes: boolean) {
  const app = new App();
  const stack = new Stack(app, 'Probe');
  const key = new DataKey(stack, 'Key');
  const findings = new FindingsTable(stack, 'Findings', {
    definition: FINDINGS_TABLE,
    encryptionKey: key.key,
  });
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  findings.grantItemAccess(role, ['dynamodb:GetItem', 'dynamodb:Query'], { indexes });
  return { app, stack, key, findings, role, template: Template.fromStack(stack) };
}

describe('FindingsTable.grantItemAccess', () => {
  it('grants the actions on the table only, and the key through DynamoDB only', () => {
    const { template, findings, key } = tableWithReader(false);
    const tableArn = { 'Fn::GetAtt': [logicalId(findings.table), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: ['dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow', Resource: tableArn },
          {
            Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [logicalId(key.key), 'Arn'] },
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          },
        ],
      },
    });
  });

  it('adds the table’s indexes when asked, with an acknowledged, explained wildcard', () => {
    const { app, template, findings, role } = tableWithReader(true);
    const tableArn = { 'Fn::GetAtt': [logicalId(findings.table), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['dynamodb:GetItem', 'dynamodb:Query'],
            Effect: 'Allow',
            Resource: [tableArn, { 'Fn::Join': ['', [tableArn, '/index/*']] }],
          },
        ]),
      },
    });
    expect(nagViolations(app)).toEqual([]);
    const acknowledged = acknowledgements(app).filter((a) => a.path === role.node.path);
    expect(acknowledged.map((a) => a.id)).toEqual([
      `AwsSolutions-IAM5[Resource::<${logicalId(findings.table)}.Arn>/index/*]`,
    ]);
    expect(String(acknowledged[0]!.reason).length).toBeGreaterThanOrEqual(60);
  });
});
