import { describe, expect, it } from 'vitest';
import { OrgConfigError, parseOrgFunctionConfig } from '../../functions/core/org-function-config';
import { createHandler as createDiscoverHandler } from '../../functions/handlers/org-discover';
import {
  createHandler as createScanAccountHandler,
  scanStepOptions,
} from '../../functions/handlers/org-scan-account';
import { createObservability } from '../../functions/wiring/powertools';
import { lambdaContext } from '../support/lambda';

const ENV = {
  FINDINGS_TABLE_NAME: 'findings',
  EVENT_BUS_NAME: 'bus',
  ORG_RUNS_BUCKET: 'runs',
  MEMBER_ROLE_NAME: 'IamPostureScanner',
};

function issuesOf(env: Record<string, string | undefined>): string[] {
  try {
    parseOrgFunctionConfig(env);
  } catch (error) {
    if (error instanceof OrgConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe("the organization functions' environment", () => {
  it("parses every variable, with the scan function's settings", () => {
    const config = parseOrgFunctionConfig({
      ...ENV,
      MEMBER_EXTERNAL_ID: 'shared-secret-id',
      ORG_ACCOUNT_SELECTION: JSON.stringify({ excludeOus: ['ou-ab12-cd34ef56'] }),
      SERVICE_LAST_ACCESSED_MAX_JOBS: '250',
      ORG_SCAN_TIME_BUDGET_MS: '600000',
      SECRETS_REGIONS: 'eu-west-1,us-east-1',
      SCAN_SETTINGS: JSON.stringify({ disabledRules: ['unused-service-permissions'] }),
    });
    expect(config).toMatchObject({
      runsBucket: 'runs',
      memberRoleName: 'IamPostureScanner',
      memberExternalId: 'shared-secret-id',
      accountSelection: { excludeOus: ['ou-ab12-cd34ef56'] },
      timeBudgetMs: 600000,
      scan: {
        serviceLastAccessedMaxJobs: 250,
        findingsTableName: 'findings',
        eventBusName: 'bus',
        secretsRegions: ['eu-west-1', 'us-east-1'],
      },
    });
    expect(config.scan.settings.disabledRules).toEqual(['unused-service-permissions']);
    expect(parseOrgFunctionConfig(ENV).accountSelection).toEqual({});
  });

  it('names every bad variable at once', () => {
    expect(
      issuesOf({
        EVENT_BUS_NAME: 'bus',
        MEMBER_ROLE_NAME: 'role/with/slashes',
        ORG_ACCOUNT_SELECTION: JSON.stringify({ includeAccounts: ['12'] }),
        SERVICE_LAST_ACCESSED_MAX_JOBS: '9000',
        ORG_SCAN_TIME_BUDGET_MS: 'soon',
        SECRETS_REGIONS: 'mars-1',
      }),
    ).toEqual([
      'FINDINGS_TABLE_NAME: is required',
      expect.stringMatching(/^SECRETS_REGIONS: /),
      // The scan function's own variables come first, parsed as the scan function parses them.
      'SERVICE_LAST_ACCESSED_MAX_JOBS: must be at most 5000 jobs',
      'ORG_RUNS_BUCKET: is required',
      expect.stringMatching(/^MEMBER_ROLE_NAME: must be an IAM role name/),
      'ORG_ACCOUNT_SELECTION.includeAccounts.0: an account id is 12 digits',
      'ORG_SCAN_TIME_BUDGET_MS: must be a whole number of milliseconds',
    ]);
    expect(issuesOf({ ...ENV, ORG_ACCOUNT_SELECTION: '{"includeOus":' })).toEqual([
      'ORG_ACCOUNT_SELECTION: is not valid JSON',
    ]);
    expect(issuesOf({ ...ENV, ORG_ACCOUNT_SELECTION: '{"includeOU":["ou-ab12-cd34ef56"]}' })).toEqual([
      expect.stringMatching(/^ORG_ACCOUNT_SELECTION: .*includeOU/),
    ]);
  });

  it('gives a step the remaining time less a minute, unless a budget is set', () => {
    const config = parseOrgFunctionConfig(ENV);
    expect(scanStepOptions(config, { getRemainingTimeInMillis: () => 900_000 }).budgetMs).toBe(840_000);
    expect(scanStepOptions(config, { getRemainingTimeInMillis: () => 30_000 }).budgetMs).toBe(0);
    const budgeted = parseOrgFunctionConfig({
      ...ENV,
      ORG_SCAN_TIME_BUDGET_MS: '1',
      SERVICE_LAST_ACCESSED_MAX_JOBS: '7',
    });
    const options = scanStepOptions(budgeted, { getRemainingTimeInMillis: () => 900_000 });
    expect(options.budgetMs).toBe(1);
    expect(options.collect.serviceLastAccessed).toEqual({ maxJobs: 7 });
  });
});

describe('the organization step handlers', () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';

  it('refuse an input they cannot act on, naming the field', async () => {
    const discover = createDiscoverHandler(() => {
      throw new Error('not reached: the input is checked after the configuration');
    }, createObservability());
    await expect(discover({ runId: 'r' }, lambdaContext('discover'))).rejects.toThrow('not reached');

    const config = parseOrgFunctionConfig(ENV);
    const scanAccount = createScanAccountHandler(
      () => ({
        config,
        step: () => {
          throw new Error('not reached');
        },
      }),
      createObservability(),
    );
    await expect(
      scanAccount({ runId: 'bad run id', account: { id: '1', name: 'x' } }, lambdaContext('scan-account')),
    ).rejects.toThrow(
      'invalid scan account input: runId: a run id is 1 to 80 letters, digits, - or _; account.id: an account id is 12 digits',
    );
  });
});
