import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseDeployConfig } from '../../functions/core/deploy-config';
import { parseOrgFunctionConfig } from '../../functions/core/org-function-config';
import type { MemberAccount } from '../../functions/core/organization-scan';
import { reviewScanEnvironment } from '../../functions/core/review/function-config';
import { parseScanFunctionConfig } from '../../functions/core/scan-function-config';
import { createHandler, scanAccountHandlerDeps } from '../../functions/handlers/org-scan-account';
import { createHandler as createScanHandler } from '../../functions/handlers/scan';
import { type AccountSource, collectAccount } from '../../functions/use-cases/collect';
import type { RunFiles } from '../../functions/use-cases/org-run-ports';
import { type ScanStepDeps, scanAccountStep } from '../../functions/use-cases/org-scan-step';
import type { RunScanResult } from '../../functions/use-cases/run-scan';
import { createObservability } from '../../functions/wiring/powertools';
import { lambdaContext } from '../support/lambda';
import { MemoryStore } from '../support/memory-store';

/**
 * The organization run's account step starts the member account's due review campaigns after its
 * scan is stored (and the scan function its own account's, through the same starter), from what the step read, as the scan function does for its own account: never for
 * a paused, failed or superseded scan, and a failure to start never costs the account its outcome.
 */

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ACCOUNT: MemberAccount = { id: '111111111111', name: 'prod', parentId: 'r-ab12', ouPath: ['r-ab12'] };
const DEPLOYER = `arn:aws:iam::${ACCOUNT.id}:role/deployer`;
const ENV = {
  AWS_REGION: 'eu-west-1',
  FINDINGS_TABLE_NAME: 'findings',
  EVENT_BUS_NAME: 'iam-posture',
  ORG_RUNS_BUCKET: 'iam-posture-runs',
  MEMBER_ROLE_NAME: 'IamPostureScanner',
};
const REVIEWS = reviewScanEnvironment(parseDeployConfig({ reviews: { enabled: true } }).reviews);
const CREDENTIAL_REPORT =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n' +
  `<root_account>,arn:aws:iam::${ACCOUNT.id}:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`;

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.restoreAllMocks();
});

/** A runs bucket in memory. */
function memoryFiles(): RunFiles & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    files,
    async putJson(key, value) {
      files.set(key, JSON.stringify(value));
    },
    async getJson(key) {
      const text = files.get(key);
      if (text === undefined) throw new Error(`${key} does not exist`);
      return JSON.parse(text);
    },
    async listKeys(prefix) {
      return [...files.keys()].filter((key) => key.startsWith(prefix)).sort();
    },
  };
}

/** A member account holding one admin role, answering every read. */
function adminRoleAccount(): AccountSource {
  const read = async <T>(data: T) => ({ data, gaps: [] });
  return {
    callerIdentity: async () => ({ accountId: ACCOUNT.id }),
    homeRegion: async () => 'eu-west-1',
    organization: () => read({ Organization: null }),
    enabledRegions: () => read(['eu-west-1']),
    authorizationDetails: () =>
      read({
        UserDetailList: [],
        GroupDetailList: [],
        Policies: [],
        RoleDetailList: [
          {
            RoleName: 'deployer',
            RoleId: 'AROADEPLOYER',
            Arn: DEPLOYER,
            Path: '/',
            CreateDate: '2025-01-01T00:00:00Z',
            AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
            AttachedManagedPolicies: [],
            RolePolicyList: [
              {
                PolicyName: 'admin',
                PolicyDocument: {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
                },
              },
            ],
          },
        ],
      }),
    credentialReport: () => read({ content: CREDENTIAL_REPORT }),
    accessKeys: () => read({}),
    serverCertificates: () => read({ ServerCertificateMetadataList: [] }),
    secrets: () => read({ SecretList: [] }),
    secretPolicies: () => read([]),
    serviceLastAccessed: () => read({}),
    apiCalls: () => ({ 'iam:Any': 1 }),
  };
}

function stepDeps(store: MemoryStore, files = memoryFiles()): ScanStepDeps {
  let tick = 0;
  return {
    files,
    members: { open: async () => ({ source: adminRoleAccount(), release: () => {} }) },
    scan: { store, now: () => NOW, randomSuffix: () => 'abcd1234' },
    now: () => NOW,
    clock: () => tick++,
  };
}

/** The roles the scan read, as the review plans them. */
const roleNames = (result: RunScanResult) => result.inventory.roles.map((role) => role.arn);

/** The account step's handler over memory, with a recorded campaign starter and a watched log. */
function accountStep(options: { budgetMs: string; store?: MemoryStore; fail?: Error }) {
  process.env = { ...saved, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const store = options.store ?? new MemoryStore();
  const files = memoryFiles();
  const calls: { result: RunScanResult }[] = [];
  const observability = createObservability();
  const info = vi.spyOn(observability.logger, 'info');
  const warn = vi.spyOn(observability.logger, 'warn');
  const handler = createHandler(
    () => ({
      config: parseOrgFunctionConfig({ ...ENV, ORG_SCAN_TIME_BUDGET_MS: options.budgetMs }),
      step: () => stepDeps(store, files),
      startDueReviews: async (result) => {
        calls.push({ result: result as RunScanResult });
        // Campaigns are written over the network: the step waits for them before it returns.
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (options.fail) throw options.fail;
        return [{ campaign: { campaignId: `quarterly.2026-Q2.${result.accountId}` } }] as never;
      },
    }),
    observability,
  );
  const context = lambdaContext('iam-posture-org-scan-account');
  const logged = (spy: typeof info, message: string) =>
    spy.mock.calls.filter(([text]) => text === message).map(([, fields]) => fields);
  return { handler, context, calls, files, store, logged, info, warn };
}

describe('the organization account step and review campaigns', () => {
  it('starts the account’s due campaigns with its stored scan and what the step read', async () => {
    const step = accountStep({ budgetMs: '600000' });
    const result = await step.handler({ runId: 'run-1', account: ACCOUNT }, step.context);

    expect(result.done).toBe(true);
    expect(step.calls).toHaveLength(1);
    const [{ result: scanned }] = step.calls as [(typeof step.calls)[number]];
    expect(scanned.accountId).toBe(ACCOUNT.id);
    expect(scanned.scanId).toBe(result.outcome!.scanId);
    expect(scanned.report.findings.map((f) => [f.ruleId, f.resourceArn])).toContainEqual([
      'standing-admin',
      DEPLOYER,
    ]);
    expect(scanned.record.origin).toBe('live');
    expect(roleNames(scanned)).toEqual([DEPLOYER]);
    expect(step.logged(step.info, 'review campaign started')).toEqual([
      { accountId: ACCOUNT.id, campaignId: `quarterly.2026-Q2.${ACCOUNT.id}` },
    ]);
    expect(step.logged(step.warn, 'review campaigns not started')).toEqual([]);
  });

  it('starts them once, after the invocation that stores the scan, from what every invocation read', async () => {
    const step = accountStep({ budgetMs: '0' });
    let result = await step.handler({ runId: 'run-2', account: ACCOUNT }, step.context);
    let invocations = 1;
    while (!result.done) {
      expect(step.calls).toEqual([]);
      result = await step.handler(
        { runId: 'run-2', account: ACCOUNT, continuation: result.continuation },
        step.context,
      );
      invocations++;
    }
    expect(invocations).toBeGreaterThan(2);
    expect(step.calls).toHaveLength(1);
    // The roles were read by an early invocation and reached the last one through the checkpoint.
    expect(roleNames(step.calls[0]!.result)).toEqual([DEPLOYER]);
    expect(step.calls[0]!.result.scanId).toBe(result.outcome!.scanId);
  });

  it('starts nothing for a superseded scan, and records its outcome', async () => {
    const store = new MemoryStore();
    await accountStep({ budgetMs: '600000', store }).handler(
      { runId: 'run-3', account: ACCOUNT },
      lambdaContext('iam-posture-org-scan-account'),
    );
    // The table has seen newer data of the account than this step reads.
    store.state = { ...store.state!, observedAt: '2026-06-02T00:00:00.000Z' };
    const step = accountStep({ budgetMs: '600000', store });
    const result = await step.handler({ runId: 'run-4', account: ACCOUNT }, step.context);
    expect(result.done).toBe(true);
    expect(step.files.files.has(`runs/run-4/outcomes/${ACCOUNT.id}.json`)).toBe(true);
    expect(store.records.at(-1)?.outcome).toBe('superseded');
    expect(step.calls).toEqual([]);
    expect(step.logged(step.info, 'review campaign started')).toEqual([]);
  });

  it('starts nothing for a failure the state machine caught', async () => {
    const step = accountStep({ budgetMs: '600000' });
    const result = await step.handler(
      { runId: 'run-5', account: ACCOUNT, error: { Error: 'States.Timeout', Cause: 'The task timed out.' } },
      step.context,
    );
    expect(result.outcome).toMatchObject({ outcome: 'failed', reason: 'timed-out' });
    expect(step.calls).toEqual([]);
  });

  it('logs a failure to start as a warning naming the account, and returns and records the outcome', async () => {
    const failure = new Error('review store unavailable');
    const step = accountStep({ budgetMs: '600000', fail: failure });
    const result = await step.handler({ runId: 'run-6', account: ACCOUNT }, step.context);

    expect(step.calls).toHaveLength(1);
    expect(step.logged(step.warn, 'review campaigns not started')).toEqual([
      { accountId: ACCOUNT.id, error: failure },
    ]);
    expect(result).toMatchObject({ done: true, outcome: { accountId: ACCOUNT.id, outcome: 'complete' } });
    expect(result.outcome!.findings).toBeGreaterThan(0);
    expect(JSON.parse(step.files.files.get(`runs/run-6/outcomes/${ACCOUNT.id}.json`)!)).toEqual(
      result.outcome,
    );
  });
});

describe('the account step’s campaign starter from its environment', () => {
  it('is there only when REVIEWS enables reviews', () => {
    expect(scanAccountHandlerDeps(ENV).startDueReviews).toBeUndefined();
    expect(
      scanAccountHandlerDeps({ ...ENV, REVIEWS: JSON.stringify({ enabled: false }) }).startDueReviews,
    ).toBeUndefined();
    expect(scanAccountHandlerDeps({ ...ENV, ...REVIEWS }).startDueReviews).toBeTypeOf('function');
  });

  it('reads each member account’s review state only when REVIEWS enables reviews', () => {
    expect(scanAccountHandlerDeps(ENV).step('run-1').scan.reviewState).toBeUndefined();
    expect(scanAccountHandlerDeps({ ...ENV, ...REVIEWS }).step('run-1').scan.reviewState).toBeTypeOf(
      'function',
    );
  });

  it('refuses a malformed REVIEWS, naming it', () => {
    expect(() => scanAccountHandlerDeps({ ...ENV, REVIEWS: '{"enabled":true,"deadlineDays":0}' })).toThrow(
      /REVIEWS/,
    );
  });
});

describe('scanAccountStep after the stored scan', () => {
  it('reports a throwing follow-up to warn and keeps the outcome', async () => {
    const store = new MemoryStore();
    const files = memoryFiles();
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const failure = new Error('follow-up failed');
    const result = await scanAccountStep(
      {
        ...stepDeps(store, files),
        onScanned: async () => {
          throw failure;
        },
        warn: (message, fields) => warnings.push({ message, fields }),
      },
      { runId: 'run-7', account: ACCOUNT },
      {
        scan: { settings: parseOrgFunctionConfig(ENV).scan.settings },
        collect: { settings: parseOrgFunctionConfig(ENV).scan.settings },
        budgetMs: 600_000,
      },
    );
    expect(warnings).toEqual([
      { message: 'what follows the account scan failed', fields: { accountId: ACCOUNT.id, error: failure } },
    ]);
    expect(result).toMatchObject({ done: true, outcome: { accountId: ACCOUNT.id, outcome: 'complete' } });
    expect(JSON.parse(files.files.get(`runs/run-7/outcomes/${ACCOUNT.id}.json`)!)).toEqual(result.outcome);
    expect(store.records.at(-1)?.scanId).toBe(result.outcome!.scanId);
  });
});

describe('the scan function’s campaign start, shared with the account step', () => {
  function scanFunction(options: { store?: MemoryStore; fail?: Error } = {}) {
    process.env = { ...saved, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };
    const observability = createObservability();
    const info = vi.spyOn(observability.logger, 'info');
    const warn = vi.spyOn(observability.logger, 'warn');
    const started: string[] = [];
    const handler = createScanHandler(
      () => ({
        config: parseScanFunctionConfig(ENV),
        scan: {
          collect: async () => {
            const { settings } = parseScanFunctionConfig(ENV);
            const read = await collectAccount({ source: adminRoleAccount(), now: () => NOW }, { settings });
            return { raw: read.raw, origin: 'live' };
          },
          store: options.store ?? new MemoryStore(),
          now: () => NOW,
          randomSuffix: () => 'abcd0001',
        },
        startDueReviews: async (result) => {
          started.push(result.scanId);
          if (options.fail) throw options.fail;
          return [{ campaign: { campaignId: `quarterly.2026-Q2.${result.accountId}` } }];
        },
      }),
      observability,
    );
    const invoke = () => handler({}, lambdaContext('iam-posture-scan'));
    const logged = (spy: typeof info, message: string) =>
      spy.mock.calls.filter(([text]) => text === message).map(([, fields]) => fields);
    return { invoke, started, logged, info, warn };
  }

  it('logs each campaign started, and a failure as a warning naming the account', async () => {
    const ok = scanFunction();
    const outcome = await ok.invoke();
    expect(ok.started).toEqual([outcome.scanId]);
    expect(ok.logged(ok.info, 'review campaign started')).toEqual([
      { accountId: ACCOUNT.id, campaignId: `quarterly.2026-Q2.${ACCOUNT.id}` },
    ]);

    const failure = new Error('review store unavailable');
    const failing = scanFunction({ fail: failure });
    expect(await failing.invoke()).toMatchObject({ accountId: ACCOUNT.id, outcome: 'completed' });
    expect(failing.logged(failing.warn, 'review campaigns not started')).toEqual([
      { accountId: ACCOUNT.id, error: failure },
    ]);
  });

  it('starts nothing for a superseded scan', async () => {
    const store = new MemoryStore();
    await scanFunction({ store }).invoke();
    store.state = { ...store.state!, observedAt: '2026-06-02T00:00:00.000Z' };
    const superseded = scanFunction({ store });
    expect((await superseded.invoke()).outcome).toBe('superseded');
    expect(superseded.started).toEqual([]);
  });
});
