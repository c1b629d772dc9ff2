import { describe, expect, it } from 'vitest';
import {
  accountRootArn,
  arnAccount,
  arnPartition,
  arnRegion,
  arnResource,
  formatArn,
  isAccountRootArn,
  parseArn,
  parseIamPrincipalArn,
  parseSecretArn,
  REGION_PATTERN,
} from '../../functions/core/arn';

describe('parseArn', () => {
  it('splits an ARN into its six parts, keeping colons inside the resource', () => {
    expect(parseArn('arn:aws:secretsmanager:eu-west-1:111122223333:secret:db/pass-AbCdEf')).toEqual({
      partition: 'aws',
      service: 'secretsmanager',
      region: 'eu-west-1',
      account: '111122223333',
      resource: 'secret:db/pass-AbCdEf',
    });
  });

  it.each(['', 'role/x', 'arn:aws:iam', 'arn::iam::111122223333:role/x', 'ARN:aws:iam::1:role/x'])(
    'is undefined for %j, which is not an ARN',
    (value) => {
      expect(parseArn(value)).toBeUndefined();
    },
  );

  it('keeps an empty account field, as S3 bucket ARNs have', () => {
    expect(parseArn('arn:aws:s3:::bucket')).toMatchObject({ account: '', region: '', resource: 'bucket' });
  });

  it('formats what it parsed back to the same text', () => {
    const text = 'arn:aws-us-gov:iam::111122223333:role/a/b/c';
    expect(formatArn(parseArn(text)!)).toBe(text);
  });
});

describe('ARN parts', () => {
  it.each([
    ['arn:aws:iam::111122223333:role/x', 'aws', '111122223333', undefined, 'role/x'],
    [
      'arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:s-AbCdEf',
      'aws-cn',
      '111122223333',
      'cn-north-1',
      'secret:s-AbCdEf',
    ],
    [
      'arn:aws:iam::aws:policy/AdministratorAccess',
      'aws',
      undefined,
      undefined,
      'policy/AdministratorAccess',
    ],
    ['not-an-arn', 'aws', undefined, undefined, undefined],
  ])('%s: partition %s, account %s, region %s, resource %s', (arn, partition, account, region, resource) => {
    expect(arnPartition(arn)).toBe(partition);
    expect(arnAccount(arn)).toBe(account);
    expect(arnRegion(arn)).toBe(region);
    expect(arnResource(arn)).toBe(resource);
  });

  it('builds the root ARN of an account', () => {
    expect(accountRootArn('aws-us-gov', '111122223333')).toBe('arn:aws-us-gov:iam::111122223333:root');
  });
});

describe('isAccountRootArn', () => {
  it.each([
    ['arn:aws:iam::111122223333:root', true],
    ['arn:aws-us-gov:iam::111122223333:root', true],
    ['arn:aws:iam::111122223333:user/root', false],
    ['arn:aws:iam::111122223333:root:x', false],
    ['arn:aws:iam::aws:root', false],
    ['arn:aws:iam:us-east-1:111122223333:root', false],
    ['arn:aws:sts::111122223333:root', false],
    ['root', false],
  ])('%s is an account root ARN: %s', (arn, expected) => {
    expect(isAccountRootArn(arn)).toBe(expected);
  });
});

describe('parseIamPrincipalArn', () => {
  it.each([
    ['arn:aws:iam::111122223333:role/ci', { type: 'role', path: '/', name: 'ci' }],
    ['arn:aws:iam::111122223333:user/a/b/bot', { type: 'user', path: '/a/b/', name: 'bot' }],
    ['arn:aws:iam::111122223333:group/ops', { type: 'group', path: '/', name: 'ops' }],
  ])('reads type, path and name of %s', (arn, expected) => {
    expect(parseIamPrincipalArn(arn)).toEqual({ ...expected, account: '111122223333', partition: 'aws' });
  });

  it.each([
    'arn:aws:iam::111122223333:policy/p',
    'arn:aws:iam::aws:role/x',
    'arn:aws:sts::111122223333:assumed-role/r/s',
    'arn:aws:iam::111122223333:role/',
  ])('is undefined for %s', (arn) => {
    expect(parseIamPrincipalArn(arn)).toBeUndefined();
  });
});

describe('parseSecretArn', () => {
  it('drops the six random characters Secrets Manager appends to the name', () => {
    expect(parseSecretArn('arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-pass-AbC123')).toEqual(
      {
        name: 'app/db-pass',
        region: 'eu-west-1',
        account: '111122223333',
      },
    );
  });

  it.each([
    'arn:aws:iam::111122223333:role/x',
    'arn:aws:secretsmanager::111122223333:secret:x-AbC123',
    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:',
  ])('is undefined for %s', (arn) => {
    expect(parseSecretArn(arn)).toBeUndefined();
  });
});

describe('REGION_PATTERN', () => {
  it.each(['us-east-1', 'eu-central-2', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-4'])(
    'accepts %s',
    (region) => {
      expect(REGION_PATTERN.test(region)).toBe(true);
    },
  );

  it.each(['', 'useast1', 'US-EAST-1', 'us-east', 'all'])('rejects %j', (region) => {
    expect(REGION_PATTERN.test(region)).toBe(false);
  });
});
