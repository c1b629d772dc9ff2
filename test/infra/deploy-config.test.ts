import { describe, expect, it } from 'vitest';
import {
  accountSelectionOf,
  DEFAULT_SCHEDULE,
  DeployConfigError,
  parseDeployConfig,
  parseDeployConfigFromContext,
  SCAN_SETTINGS_ENV_BUDGET_BYTES,
  scanSettingsOf,
  scheduleProblem,
  secretsRegionsVariable,
} from '../../functions/core/deploy-config';
import { DEFAULT_SETTINGS, ScanSettingsSchema } from '../../functions/core/settings';

function issuesOf(context: Record<string, unknown>): string[] {
  try {
    parseDeployConfigFromContext(context);
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    expect((error as DeployConfigError).name).toBe('DeployConfigError');
    return (error as DeployConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('deploy config', () => {
  it('defaults every key when the context sets none', () => {
    const config = parseDeployConfigFromContext({});
    expect(config).toEqual({
      schedule: DEFAULT_SCHEDULE,
      ...DEFAULT_SETTINGS,
      organization: {
        ...DEFAULT_SETTINGS.organization,
        enabled: false,
        memberRoleName: 'IamPostureScanner',
        memberRemediationRoleName: 'IamPostureRemediation',
        memberRollbackRoleName: 'IamPostureRollback',
        concurrency: 10,
      },
      ownership: { ...DEFAULT_SETTINGS.ownership, slack: {} },
      serviceLastAccessedMaxJobs: 100,
      protectedArns: [],
      breakGlassArns: [],
      approvers: [],
      remediation: { rotationFunctions: [] },
      reports: { enabled: false, retentionDays: 90, formats: ['html'] },
      slackInteractionConcurrency: 5,
      logRetentionDays: 90,
      resolvedTtlDays: 90,
      reservedConcurrency: 1,
      tracing: false,
      securityHub: { enabled: false, memberImportRoleName: 'IamPostureFindingsImport' },
      reviews: {
        enabled: false,
        rhythms: [
          { name: 'quarterly', every: 'quarterly', scope: 'all' },
          { name: 'admin-monthly', every: 'monthly', scope: 'admin-equivalent' },
        ],
        deadlineDays: 14,
        remindBeforeDays: 3,
        attestationDays: 90,
        reviewers: [],
      },
    });
    expect(config.schedule).toBe('rate(1 day)');
  });

  it('reads ownership and environments from -c JSON, naming a bad value', () => {
    const config = parseDeployConfigFromContext({
      ownership: '{"tagKeys":["app-owner"],"slack":{"payments":"C0PAYMENTS"}}',
      environments: '{"accounts":{"111111111111":"prod"},"ous":{"ou-ab12-dev00001":"dev"}}',
    });
    expect(config.ownership).toEqual({
      tagKeys: ['app-owner'],
      patterns: [],
      slack: { payments: 'C0PAYMENTS' },
    });
    expect(config.environments).toEqual({
      accounts: { '111111111111': 'prod' },
      ous: { 'ou-ab12-dev00001': 'dev' },
      production: ['prod'],
    });
    expect(() => parseDeployConfigFromContext({ environments: '{"ous":{"prod":"prod"}}' })).toThrow(
      'environments.ous.prod: an OU id looks like ou-ab12-cd34ef56',
    );
  });

  describe('schedule', () => {
    it.each([
      'rate(1 hour)',
      'rate(60 minutes)',
      'rate(6 hours)',
      'rate(1 day)',
      'rate(7 days)',
      'cron(0 6 * * ? *)',
      'cron(30 */4 ? * MON-FRI *)',
      'cron(15 2 1 * ? 2026)',
    ])('accepts %s', (expression) => {
      expect(scheduleProblem(expression)).toBeUndefined();
      expect(parseDeployConfigFromContext({ schedule: expression }).schedule).toBe(expression);
    });

    it.each([
      ['rate(59 minutes)', 'at most once an hour'],
      ['rate(5 minutes)', 'at most once an hour'],
      ['rate(1 hours)', 'use the singular unit: rate(1 hour)'],
      ['rate(2 day)', 'use the plural unit: rate(2 days)'],
      ['rate(0 days)', 'at least 1'],
      ['cron(*/5 * * * ? *)', 'the minutes field must be a single minute'],
      ['cron(0,30 6 * * ? *)', 'the minutes field must be a single minute'],
      ['cron(0 6 * * *)', 'has 6 fields'],
      ['cron(0 6 * * MON *)', 'exactly one of day-of-month and day-of-week must be "?"'],
      ['cron(0 6 ? * ? *)', 'exactly one of day-of-month and day-of-week must be "?"'],
      ['cron(0 6 * * ? 20$6)', 'the year field "20$6" is not valid'],
      ['at(2026-01-01T00:00:00)', 'must be rate('],
      ['daily', 'must be rate('],
    ])('rejects %s, naming the key', (expression, problem) => {
      const issues = issuesOf({ schedule: expression });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/^schedule: /);
      expect(issues[0]).toContain(problem);
    });
  });

  describe('values given as -c key=value strings', () => {
    it('parses JSON for structured keys and lists from commas or JSON', () => {
      const config = parseDeployConfigFromContext({
        thresholds: '{"roleUnusedDays": 120, "accessKeyRotationDays": 60}',
        organization: '{"id":"o-abc1234567","accountIds":["111122223333","444455556666"]}',
        exemptions:
          '[{"ruleId":"role-unused","resource":"arn:aws:iam::111122223333:role/dr-*","reason":"disaster recovery","owner":"sre","expires":"2030-01-01"}]',
        approvers: '[{"teamId":"T0123ABCD","userId":"U0123ABCD"}]',
        secretsRegions: 'eu-west-1, us-east-1',
        protectedArns: '["arn:aws:iam::111122223333:role/keep"]',
        breakGlassArns:
          'arn:aws:iam::111122223333:user/breakglass-1,arn:aws:iam::111122223333:user/breakglass-2',
        disabledRules: 'secret-unused,password-unused',
        logRetentionDays: '365',
        resolvedTtlDays: '30',
        reservedConcurrency: '2',
        tracing: 'true',
        slackChannelId: 'C0123ABCD',
        alarmEmail: 'security@example.com',
      });
      expect(config.thresholds.roleUnusedDays).toBe(120);
      expect(config.thresholds.accessKeyRotationDays).toBe(60);
      expect(config.thresholds.accessKeyUnusedDays).toBe(45);
      expect(config.organization).toEqual({
        id: 'o-abc1234567',
        accountIds: ['111122223333', '444455556666'],
        enabled: false,
        memberRoleName: 'IamPostureScanner',
        memberRemediationRoleName: 'IamPostureRemediation',
        memberRollbackRoleName: 'IamPostureRollback',
        concurrency: 10,
      });
      expect(config.exemptions).toHaveLength(1);
      expect(config.approvers).toEqual([{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }]);
      expect(config.secretsRegions).toEqual(['eu-west-1', 'us-east-1']);
      expect(config.protectedArns).toEqual(['arn:aws:iam::111122223333:role/keep']);
      expect(config.breakGlassArns).toEqual([
        'arn:aws:iam::111122223333:user/breakglass-1',
        'arn:aws:iam::111122223333:user/breakglass-2',
      ]);
      expect(config.disabledRules).toEqual(['secret-unused', 'password-unused']);
      expect(config.logRetentionDays).toBe(365);
      expect(config.resolvedTtlDays).toBe(30);
      expect(config.reservedConcurrency).toBe(2);
      expect(config.tracing).toBe(true);
      expect(config.slackChannelId).toBe('C0123ABCD');
      expect(config.alarmEmail).toBe('security@example.com');
    });

    it('accepts the words all (secrets regions) and none (reserved concurrency)', () => {
      const config = parseDeployConfigFromContext({ secretsRegions: 'all', reservedConcurrency: 'none' });
      expect(config.secretsRegions).toBe('all');
      expect(config.reservedConcurrency).toBe('none');
    });

    it('takes typed values from cdk.json as they are', () => {
      const config = parseDeployConfigFromContext({
        thresholds: { secretRotationDays: 30 },
        secretsRegions: ['eu-central-1'],
        logRetentionDays: 30,
        tracing: true,
      });
      expect(config.thresholds.secretRotationDays).toBe(30);
      expect(config.secretsRegions).toEqual(['eu-central-1']);
      expect(config.logRetentionDays).toBe(30);
      expect(config.tracing).toBe(true);
    });

    it('ignores the keys CDK itself puts in the context', () => {
      const config = parseDeployConfigFromContext({
        '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
        'aws:cdk:enable-path-metadata': true,
        'availability-zones:account=111122223333:region=eu-west-1': ['eu-west-1a'],
        'cli-telemetry': false,
      });
      expect(config.schedule).toBe(DEFAULT_SCHEDULE);
    });
  });

  describe('errors name the key', () => {
    it.each([
      [{ thresholds: '{"roleUnusedDays": 400}' }, /^thresholds\.roleUnusedDays: .*365/],
      [
        { thresholds: '{"roleUnusedDay": 30}' },
        /^thresholds: Unrecognized key: "roleUnusedDay" \(did you mean roleUnusedDays\?\)/,
      ],
      [
        { disabledRules: 'secret-unused,role-unsued' },
        /^disabledRules\.1: unknown rule id "role-unsued" \(did you mean role-unused\?\)/,
      ],
      [
        {
          exemptions: JSON.stringify([
            {
              ruleId: 'acces-key-unused',
              resource: 'arn:aws:iam::*',
              reason: 'r',
              owner: 'o',
              expires: '2030-01-01',
            },
          ]),
        },
        /^exemptions\.0\.ruleId: unknown rule id "acces-key-unused" \(did you mean access-key-unused\?\)/,
      ],
      [{ approvers: '[{teamId' }, /^approvers: is not valid JSON/],
      [
        { approvers: '[{"teamId":"T0123ABCD","userId":"bob"}]' },
        /^approvers\.0\.userId: must be a Slack user id/,
      ],
      [
        { organization: '{"accountIds":["123"]}' },
        /^organization\.accountIds\.0: must be a 12-digit AWS account id/,
      ],
      [
        { secretsRegions: 'eu-west-1,Frankfurt' },
        /^secretsRegions\.1: "Frankfurt" is not an AWS region; valid regions: af-south-1, .*, us-gov-west-1, cn-north-1, cn-northwest-1$/,
      ],
      [
        { secretsRegions: 'eu-wst-1' },
        /^secretsRegions\.0: "eu-wst-1" is not an AWS region \(did you mean eu-west-1\?\); valid regions: /,
      ],
      [{ protectedArns: 'role/keep' }, /^protectedArns\.0: must be an ARN/],
      [{ slackChannelId: '#security' }, /^slackChannelId: must be a Slack channel id/],
      [{ logRetentionDays: '10' }, /^logRetentionDays: must be one of the CloudWatch Logs retention periods/],
      [{ resolvedTtlDays: 'ninety' }, /^resolvedTtlDays: /],
      [{ reservedConcurrency: '0' }, /^reservedConcurrency: /],
      [{ tracing: 'yes' }, /^tracing: must be true or false, got "yes"/],
      [{ alarmEmail: 'security' }, /^alarmEmail: must be an email address/],
      [{ schedul: 'rate(1 day)' }, /^schedul: unknown key \(did you mean schedule\?\)/],
      [{ colour: 'blue' }, /^colour: unknown key \(known keys: schedule, thresholds, /],
      [
        { reports: '{"enabled":true,"formats":["html","pdf"]}' },
        /^reports\.formats\.1: must be one of html, json, csv, sarif, ocsf \(asff goes to Security Hub/,
      ],
    ])('%j', (context, message) => {
      const issues = issuesOf(context);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(message);
    });

    it('reports every bad key at once', () => {
      const issues = issuesOf({
        schedule: 'rate(1 minute)',
        logRetentionDays: '2',
        approvers: '[{"teamId":"x"}]',
      });
      expect(issues.map((issue) => issue.split(':')[0]).sort()).toEqual([
        'approvers.0.teamId',
        'approvers.0.userId',
        'logRetentionDays',
        'schedule',
      ]);
    });

    it('rejects scan settings too large for the Lambda environment, naming the exemptions', () => {
      const exemption = (n: number) => ({
        ruleId: 'role-unused',
        resource: `arn:aws:iam::111122223333:role/application-role-with-a-long-name-${n}`,
        reason: 'kept for the yearly disaster recovery exercise',
        owner: 'platform-team',
        expires: '2030-01-01',
      });
      const fits = Array.from({ length: 5 }, (_, n) => exemption(n));
      expect(parseDeployConfig({ exemptions: fits }).exemptions).toHaveLength(5);
      const tooMany = Array.from({ length: 40 }, (_, n) => exemption(n));
      expect(JSON.stringify(tooMany).length).toBeGreaterThan(SCAN_SETTINGS_ENV_BUDGET_BYTES);
      expect(() => parseDeployConfig({ exemptions: tooMany })).toThrow(
        /exemptions: the scan settings take \d+ bytes, more than the 3000/,
      );
    });
  });

  describe('organization mode', () => {
    const enabled = {
      enabled: true,
      organizationId: 'o-abc1234567',
      memberRoleName: 'SecurityAuditScanner',
      memberRemediationRoleName: 'SecurityRemediation',
      memberRollbackRoleName: 'SecurityRollback',
      includeOus: ['ou-ab12-cd34ef56'],
      excludeAccounts: ['444455556666'],
      concurrency: 50,
      externalId: 'partner-7f3a',
    };

    it('reads the organization block and the job budget from -c strings', () => {
      const config = parseDeployConfigFromContext({
        organization: JSON.stringify(enabled),
        serviceLastAccessedMaxJobs: '250',
      });
      expect(config.organization).toEqual({ ...enabled, accountIds: [] });
      expect(config.serviceLastAccessedMaxJobs).toBe(250);
      expect(accountSelectionOf(config)).toEqual({
        includeOus: ['ou-ab12-cd34ef56'],
        excludeAccounts: ['444455556666'],
      });
    });

    it('gives the scan settings the organization id, so the trust rules know the accounts are ours', () => {
      const config = parseDeployConfig({ organization: enabled });
      expect(scanSettingsOf(config).organization).toEqual({ id: 'o-abc1234567', accountIds: [] });
      // The scan function's SCAN_SETTINGS schema is strict: nothing of organization mode leaks in.
      expect(() => ScanSettingsSchema.parse(scanSettingsOf(config))).not.toThrow();
    });

    it.each([
      [{ enabled: true }, /^organization\.organizationId: is required when organization mode is enabled/],
      [{ enabled: 'yes' }, /^organization\.enabled: /],
      [
        { enabled: true, organizationId: 'org-1' },
        /^organization\.organizationId: must be an AWS Organizations id/,
      ],
      [{ concurrency: 0 }, /^organization\.concurrency: /],
      [{ concurrency: 1001 }, /^organization\.concurrency: /],
      [{ concurrency: 2.5 }, /^organization\.concurrency: /],
      [{ memberRoleName: 'scanner role' }, /^organization\.memberRoleName: must be an IAM role name/],
      [
        { memberRemediationRoleName: 'x'.repeat(65) },
        /^organization\.memberRemediationRoleName: must be an IAM role name/,
      ],
      [
        { memberRollbackRoleName: 'bad name' },
        /^organization\.memberRollbackRoleName: must be an IAM role name/,
      ],
      [{ includeOus: ['ou-1'] }, /^organization\.includeOus\.0: an OU id looks like/],
      [{ excludeAccounts: ['12345'] }, /^organization\.excludeAccounts\.0: an account id is 12 digits/],
      [{ externalId: 'a' }, /^organization\.externalId: must be 2-1224 characters/],
      [{ enable: true }, /^organization: Unrecognized key: "enable" \(did you mean enabled\?\)/],
      [
        { id: 'o-abc1234567', organizationId: 'o-zzz9999999' },
        /^organization\.id: names o-abc1234567, but organizationId names o-zzz9999999/,
      ],
    ])('rejects %j, naming the key', (organization, message) => {
      const issues = issuesOf({ organization: JSON.stringify(organization) });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(message);
    });

    it.each([['-1'], ['5001'], ['many']])('rejects serviceLastAccessedMaxJobs=%s', (value) => {
      const issues = issuesOf({ serviceLastAccessedMaxJobs: value });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/^serviceLastAccessedMaxJobs: /);
    });
  });

  describe('what the scan function receives', () => {
    it('SCAN_SETTINGS is exactly what ScanSettingsSchema parses back', () => {
      const config = parseDeployConfigFromContext({
        thresholds: '{"roleUnusedDays": 120}',
        disabledRules: 'secret-unused',
      });
      const settings = ScanSettingsSchema.parse(JSON.parse(JSON.stringify(scanSettingsOf(config))));
      expect(settings).toEqual({
        ...DEFAULT_SETTINGS,
        thresholds: { ...DEFAULT_SETTINGS.thresholds, roleUnusedDays: 120 },
        disabledRules: ['secret-unused'],
      });
    });

    it('SECRETS_REGIONS is the home region, a comma list or all', () => {
      expect(secretsRegionsVariable(parseDeployConfig({}), 'eu-west-1')).toBe('eu-west-1');
      expect(
        secretsRegionsVariable(parseDeployConfig({ secretsRegions: ['eu-west-1', 'us-east-1'] }), 'x'),
      ).toBe('eu-west-1,us-east-1');
      expect(secretsRegionsVariable(parseDeployConfig({ secretsRegions: 'all' }), 'x')).toBe('all');
    });
  });
});
