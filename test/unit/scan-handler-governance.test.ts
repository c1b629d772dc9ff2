import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { GovernanceMetric, GovernanceMetricsSink } from '../../functions/core/governance';
import type { RawAccountData } from '../../functions/core/raw';
import { parseScanFunctionConfig } from '../../functions/core/scan-function-config';
import { createHandler } from '../../functions/handlers/scan';
import { createObservability } from '../../functions/wiring/powertools';
import { powertoolsGovernanceMetrics } from '../../functions/wiring/scan';
import { lambdaContext } from '../support/lambda';
import { MemoryStore } from '../support/memory-store';

/** The scan function publishes each scan's governance measures as metrics, by account. */

const ACCOUNT = '111122223333';
const saved = { ...process.env };
let demo: RawAccountData;

beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
});

afterEach(() => {
  process.env = { ...saved };
  vi.restoreAllMocks();
});

class RecordedMetrics implements GovernanceMetricsSink {
  readonly published: { accountId: string; metrics: readonly GovernanceMetric[] }[] = [];
  failWith?: Error;
  publish(accountId: string, metrics: readonly GovernanceMetric[]): void {
    if (this.failWith) throw this.failWith;
    this.published.push({ accountId, metrics });
  }
}

function handlerWith(
  sink: GovernanceMetricsSink,
  store = new MemoryStore(),
  asOf = new Date('2025-06-03T00:00:00Z'),
) {
  process.env = { ...saved, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const config = parseScanFunctionConfig({
    AWS_REGION: 'eu-west-1',
    FINDINGS_TABLE_NAME: 'findings-table',
    EVENT_BUS_NAME: 'posture-bus',
    SCAN_SETTINGS: JSON.stringify({ organization: { id: 'o-a1b2c3d4e5' } }),
  });
  const handler = createHandler(
    () => ({
      config,
      governanceMetrics: sink,
      scan: {
        collect: async () => ({ raw: demo, origin: 'live' }),
        store,
        now: () => asOf,
        randomSuffix: () => 'abcd0001',
      },
    }),
    createObservability(),
  );
  return () => handler({}, lambdaContext('iam-posture-scan'));
}

describe('scan handler: governance metrics', () => {
  it('publishes the complete measures for the scanned account, and how many were partial', async () => {
    const sink = new RecordedMetrics();
    const outcome = await handlerWith(sink)();

    expect(outcome.outcome).toBe('completed');
    expect(sink.published).toHaveLength(1);
    const [published] = sink.published;
    expect(published!.accountId).toBe(ACCOUNT);
    const values = Object.fromEntries(published!.metrics.map((m) => [m.name, m.value]));
    expect(values).toMatchObject({
      Roles: 36,
      ActiveAccessKeys: 10,
      AccessKeysPastRotation: 3,
      SecretsWithoutRotation: 2,
      UnusedIdentities: 7,
    });
    // The demo account has a managed policy whose document is missing: privilege and findings
    // counts are partial, so they are left out rather than sent as the account's numbers.
    expect(values.StandingAdminIdentities).toBeUndefined();
    expect(values.OpenFindingsCritical).toBeUndefined();
    expect(values.GovernancePartialMeasures).toBe(4);
    // Nothing was closed in the window yet: no remediation time is sent, rather than zero.
    expect(Object.keys(values).sort()).toEqual([
      'AccessKeysPastRotation',
      'ActiveAccessKeys',
      'CredentialAgeMaxDays',
      'CredentialAgeMeanDays',
      'GovernancePartialMeasures',
      'Roles',
      'SecretsWithoutRotation',
      'UnusedIdentities',
    ]);
  });

  it('publishes nothing for a superseded scan', async () => {
    const store = new MemoryStore();
    await handlerWith(new RecordedMetrics(), store, new Date('2025-06-10T00:00:00Z'))();
    const sink = new RecordedMetrics();
    // The demo's data is dated 2025-06-02; a store that has seen newer data supersedes it.
    store.state = { ...store.state!, observedAt: '2025-06-09T00:00:00.000Z' };
    const outcome = await handlerWith(sink, store)();
    expect(outcome.outcome).toBe('superseded');
    expect(sink.published).toEqual([]);
  });

  it('still returns the scan when the metrics cannot be published', async () => {
    const sink = new RecordedMetrics();
    sink.failWith = new Error('stdout closed');
    const outcome = await handlerWith(sink)();
    expect(outcome).toMatchObject({ accountId: ACCOUNT, outcome: 'completed' });
  });
});

describe('powertoolsGovernanceMetrics', () => {
  it('writes one EMF document in the function namespace, dimensioned by service and account', () => {
    process.env = {
      ...saved,
      POWERTOOLS_METRICS_NAMESPACE: 'IamPosture',
      POWERTOOLS_SERVICE_NAME: 'iam-posture-scan',
    };
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.POWERTOOLS_DEV;
    const lines: string[] = [];
    const metrics = new Metrics();
    // Powertools writes EMF through its own console; capture what it would print.
    (metrics as unknown as { console: Pick<Console, 'log'> }).console = {
      log: (line: string) => lines.push(line),
    };
    powertoolsGovernanceMetrics(() => metrics).publish(ACCOUNT, [
      { name: 'Roles', unit: 'Count', value: 36 },
      { name: 'CredentialAgeMaxDays', unit: 'None', value: 1101.1 },
    ]);

    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!);
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'IamPosture',
        Dimensions: [['service', 'account']],
        Metrics: [
          { Name: 'Roles', Unit: 'Count' },
          { Name: 'CredentialAgeMaxDays', Unit: 'None' },
        ],
      },
    ]);
    expect(emf).toMatchObject({
      service: 'iam-posture-scan',
      account: ACCOUNT,
      Roles: 36,
      CredentialAgeMaxDays: 1101.1,
    });
  });
});
