import {
  type AwsSecurityFinding,
  EnableSecurityHubCommand,
  paginateGetFindings,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { RawAccountData } from '../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { batchItemFailures, exportToSecurityHub } from '../../functions/use-cases/export-security-hub';
import { type RunScanResult, runScan, type ScanEvent } from '../../functions/use-cases/run-scan';
import { securityHubExportDeps } from '../../functions/wiring/security-hub';
import { asffProblems } from '../support/asff-model';
import { aStoredFinding, messagesOf, scanEventsOf } from '../support/finding-events';
import { MOTO_REGION } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';
import { aFinding } from '../unit/report/fixtures';

/**
 * The Security Hub export on moto: scans stored in DynamoDB publish their finding events, the
 * exporter imports them with the real BatchImportFindings, and GetFindings shows what Security Hub
 * holds: first-seen times kept across updates, a finding archived only once a scan fully read its
 * input, and in organization mode each finding in its own account.
 */

const TABLE = 'iam-posture-findings';
const ACCOUNT = '111122223333';
const T1 = new Date('2025-06-01T00:00:00.000Z');

let securityHub: SecurityHubClient;
let demo: RawAccountData;

const env = useMotoWithTable(TABLE, { dynamo: { maxAttempts: 2 } });

beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
  securityHub = new SecurityHubClient({ ...env.moto.clientConfig, maxAttempts: 1 });
});

beforeEach(async () => {
  await securityHub.send(new EnableSecurityHubCommand({}));
});

function exporter(memberImportRoleName?: string) {
  return securityHubExportDeps(
    { endpoint: env.moto.clientConfig.endpoint, credentials: env.moto.clientConfig.credentials },
    {
      region: MOTO_REGION,
      homeAccountId: ACCOUNT,
      ...(memberImportRoleName ? { memberImportRoleName } : {}),
    },
  );
}

/** A stored scan of `raw` as of `asOf`, with the events it published. */
async function scan(
  raw: RawAccountData,
  asOf: Date,
): Promise<{ result: RunScanResult; events: ScanEvent[] }> {
  const events: ScanEvent[] = [];
  let n = 0;
  const result = await runScan(
    {
      collect: async () => ({ raw, origin: 'export' }),
      store: new DynamoFindingsStore(env.dynamo, TABLE, { sleep: async () => {} }),
      events: {
        async publish(sent) {
          events.push(...sent);
          return {
            events: sent.length,
            published: sent.length,
            failed: [],
            requests: 1,
            failedEntryCount: 0,
          };
        },
      },
      now: () => asOf,
      randomSuffix: () => `5ec${String(++n).padStart(5, '0')}`,
      sleep: async () => {},
    },
    { settings: DEFAULT_SETTINGS, asOf },
  );
  return { result, events };
}

async function exportEvents(events: readonly ScanEvent[], memberRole?: string) {
  const deps = exporter(memberRole);
  try {
    const findingEvents = events.filter((e) => e.detailType !== 'ScanCompleted');
    return await exportToSecurityHub(deps, messagesOf(findingEvents));
  } finally {
    deps.destroy();
  }
}

async function hubFindings(client = securityHub): Promise<Map<string, AwsSecurityFinding>> {
  const byFindingId = new Map<string, AwsSecurityFinding>();
  for await (const page of paginateGetFindings({ client }, { MaxResults: 100 })) {
    for (const finding of page.Findings ?? []) {
      byFindingId.set(finding.ProductFields?.['iam-posture/FindingId'] ?? '', finding);
    }
  }
  return byFindingId;
}

/** The demo account without one user: gone from the authorization details and, if read, the credential report. */
function withoutUser(raw: RawAccountData, userName: string, credentialReport: boolean): RawAccountData {
  const pages = raw.authorizationDetails.map((page) => {
    const p = page as { UserDetailList?: { UserName: string }[] };
    return { ...p, UserDetailList: (p.UserDetailList ?? []).filter((u) => u.UserName !== userName) };
  });
  const { credentialReport: report, ...rest } = raw;
  return {
    ...rest,
    authorizationDetails: pages,
    ...(credentialReport && report
      ? {
          credentialReport: report
            .split('\n')
            .filter((line) => !line.startsWith(`${userName},`))
            .join('\n'),
        }
      : {}),
  };
}

describe('Security Hub export on moto', () => {
  it('imports every finding of a scan, with first-seen times that later imports keep', async () => {
    const first = await scan(demo, T1);
    const report = await exportEvents(first.events);
    expect(batchItemFailures(report)).toEqual([]);
    expect(report.imported).toBe(first.result.changes.filter((c) => c.kind === 'opened').length);
    expect(report.calls).toBe(Math.ceil(report.imported / 100));

    const hub = await hubFindings();
    expect(hub.size).toBe(report.imported);
    for (const finding of hub.values()) {
      expect(asffProblems(finding as unknown as Record<string, unknown>)).toEqual([]);
      expect(finding).toMatchObject({
        AwsAccountId: ACCOUNT,
        CreatedAt: T1.toISOString(),
        FirstObservedAt: T1.toISOString(),
        RecordState: 'ACTIVE',
      });
    }
  });

  it('never archives a finding held because its source was unread, and archives it once a full read shows it fixed', async () => {
    const first = await scan(demo, T1);
    await exportEvents(first.events);
    const keyFinding = first.result.changes.find(
      (c) => c.after.resourceType === 'access-key' && c.after.resourceArn.includes(':user/'),
    )!.after;
    const userName = keyFinding.resourceArn.split('/').pop()!;
    const keyFindingsOfUser = first.result.changes
      .filter((c) => c.after.resourceType === 'access-key' && c.after.resourceArn === keyFinding.resourceArn)
      .map((c) => c.after.id);

    // The user is gone, but the credential report could not be read: its key findings are held.
    const unread = await scan(withoutUser(demo, userName, false), new Date('2025-06-08T00:00:00.000Z'));
    expect(unread.result.record.unread).toContain('credential-report');
    expect(unread.result.held.map((h) => h.id)).toEqual(expect.arrayContaining(keyFindingsOfUser));
    const resolvedIds = unread.events
      .filter((e) => e.detailType === 'FindingResolved')
      .map((e) => (e.detail as unknown as { finding: { id: string } }).finding.id);
    expect(resolvedIds.filter((id) => keyFindingsOfUser.includes(id))).toEqual([]);
    await exportEvents(unread.events);
    let hub = await hubFindings();
    for (const id of keyFindingsOfUser) expect(hub.get(id)?.RecordState).toBe('ACTIVE');

    // The credential report is read again, without the user: its key findings resolve, fully read.
    const T3 = new Date('2025-06-15T00:00:00.000Z');
    const recovered = await scan(withoutUser(demo, userName, true), T3);
    const resolvedNow = recovered.events.filter(
      (e) =>
        e.detailType === 'FindingResolved' &&
        keyFindingsOfUser.includes((e.detail as unknown as { finding: { id: string } }).finding.id),
    );
    expect(resolvedNow).toHaveLength(keyFindingsOfUser.length);
    for (const event of resolvedNow) expect(event.detail).toMatchObject({ coverage: { fullyRead: true } });
    const report = await exportEvents(recovered.events);
    expect(batchItemFailures(report)).toEqual([]);
    hub = await hubFindings();
    for (const id of keyFindingsOfUser) {
      expect(hub.get(id)).toMatchObject({
        RecordState: 'ARCHIVED',
        Workflow: { Status: 'RESOLVED' },
        Compliance: { Status: 'PASSED' },
        CreatedAt: T1.toISOString(),
        UpdatedAt: T3.toISOString(),
      });
    }

    // The user comes back: the same findings reopen in place, first seen as before.
    const T4 = new Date('2025-06-22T00:00:00.000Z');
    const back = await scan(demo, T4);
    await exportEvents(back.events);
    hub = await hubFindings();
    // Reopened in place: no finding of the first scan got a second record.
    for (const change of first.result.changes.filter((c) => c.kind === 'opened')) {
      expect(hub.get(change.after.id)?.Id).toBe(`iam-posture/${ACCOUNT}/${MOTO_REGION}/${change.after.id}`);
    }
    for (const id of keyFindingsOfUser) {
      expect(hub.get(id)).toMatchObject({
        RecordState: 'ACTIVE',
        CreatedAt: T1.toISOString(),
        FirstObservedAt: T1.toISOString(),
        UpdatedAt: T4.toISOString(),
        LastObservedAt: T4.toISOString(),
      });
    }
  });

  it('imports a member account finding into that account through its import role', async () => {
    const MEMBER = '444455556666';
    const memberFinding = aStoredFinding(
      aFinding({
        id: 'member0001',
        accountId: MEMBER,
        resourceArn: `arn:aws:iam::${MEMBER}:user/deploy-bot`,
      }),
    );
    const events = [
      ...scanEventsOf([{ kind: 'opened', after: memberFinding }], T1),
      ...scanEventsOf([{ kind: 'opened', after: aStoredFinding(aFinding({ id: 'central0001' })) }], T1),
    ];
    const withoutOrganization = await exportEvents(events);
    expect(withoutOrganization.failed).toEqual([
      {
        messageId: 'm1',
        reason: `cannot import into account ${MEMBER}: AccountNotImportableError: account ${MEMBER} is not the exporter's account ${ACCOUNT}, and organization mode is off`,
      },
    ]);

    const report = await exportEvents(events, 'IamPostureFindingsImport');
    expect(batchItemFailures(report)).toEqual([]);
    const sts = new STSClient({ ...env.moto.clientConfig });
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MEMBER}:role/IamPostureFindingsImport`,
        RoleSessionName: 'check',
      }),
    );
    const memberHub = new SecurityHubClient({
      ...env.moto.clientConfig,
      credentials: {
        accessKeyId: c!.AccessKeyId!,
        secretAccessKey: c!.SecretAccessKey!,
        sessionToken: c!.SessionToken!,
      },
    });
    expect([...(await hubFindings(memberHub)).keys()]).toEqual(['member0001']);
    expect((await hubFindings(memberHub)).get('member0001')?.ProductArn).toBe(
      `arn:aws:securityhub:${MOTO_REGION}:${MEMBER}:product/${MEMBER}/default`,
    );
    // The exporter's own account holds only its own finding.
    expect([...(await hubFindings()).keys()]).toEqual(['central0001']);
  });
});
