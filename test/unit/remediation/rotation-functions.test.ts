import { IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsRemediationExecutor } from '../../../functions/adapters/aws/remediation-executor';

const secrets = mockClient(SecretsManagerClient);
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';
const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:rotate-db';
const step = { action: 'rotate-secret', secretId: SECRET, region: 'eu-west-1' } as const;

const executor = (rotationFunctions?: string[]) =>
  new AwsRemediationExecutor(
    new IAMClient({ region: 'eu-west-1' }),
    () => new SecretsManagerClient({ region: 'eu-west-1' }),
    rotationFunctions ? { rotationFunctions } : {},
  );

beforeEach(() => {
  secrets.reset();
  secrets.on(DescribeSecretCommand).resolves({
    ARN: SECRET,
    RotationEnabled: true,
    RotationLambdaARN: FUNCTION,
    VersionIdsToStages: { v1: ['AWSCURRENT'] },
  });
});

describe('rotate-secret and the configured rotation functions', () => {
  it('records the before-state when the secret’s function is configured, exactly or by prefix', async () => {
    for (const allowed of [[FUNCTION], ['arn:aws:lambda:eu-west-1:123456789012:function:rotate-*']]) {
      await expect(executor(allowed).captureBefore(step)).resolves.toEqual({
        ...step,
        currentVersionId: 'v1',
      });
    }
  });

  it('refuses before anything changes when no function, or another one, is configured', async () => {
    await expect(executor([]).captureBefore(step)).rejects.toThrow(
      `rotate-secret is not enabled: the deploy config names no rotation function (remediation.rotationFunctions), so secret ${SECRET} was not rotated.`,
    );
    await expect(
      executor(['arn:aws:lambda:eu-west-1:123456789012:function:other-*']).captureBefore(step),
    ).rejects.toThrow(
      `The rotation function ${FUNCTION} of secret ${SECRET} is not among remediation.rotationFunctions`,
    );
    expect(secrets.commandCalls(RotateSecretCommand)).toHaveLength(0);
  });

  it('does not check the function for an operator’s own credentials', async () => {
    await expect(executor().captureBefore(step)).resolves.toMatchObject({ currentVersionId: 'v1' });
  });
});
