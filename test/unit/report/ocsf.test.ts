import { describe, expect, it } from 'vitest';
import {
  detectionFinding,
  formatOcsf,
  formatOcsfLines,
  formatReport,
  OCSF_VERSION,
  type OcsfEvent,
  ocsfEventsFromReports,
  ocsfEventsFromStored,
  storedLifecycle,
} from '../../../functions/core/report';
import type { ListedFinding } from '../../../functions/use-cases/findings-ports';
import { formatFindingsListing } from '../../../functions/use-cases/list-findings';
import { aFinding, aReport } from './fixtures';
import { type Json, ocsfProblems, SPEC } from './ocsf-spec';

const TOOL = { version: '1.2.3' };

function stored(overrides: Partial<ListedFinding> = {}): ListedFinding {
  return {
    ...aFinding(),
    status: 'open',
    firstSeenAt: '2025-05-01T08:00:00.000Z',
    firstSeenScanId: 'scan-1',
    lastChangedAt: '2025-05-01T08:00:00.000Z',
    lastChangedScanId: 'scan-1',
    reopenCount: 0,
    version: 1,
    lastSeenScanId: 'scan-3',
    lastSeenAt: '2025-06-02T08:00:00.000Z',
    ...overrides,
  };
}

const ms = (iso: string) => new Date(iso).getTime();

describe('OCSF Detection Finding', () => {
  it(`pins metadata.version to ${SPEC.version}`, () => {
    expect(OCSF_VERSION).toBe(SPEC.version);
  });

  it('a scan without a store emits one Create / New event per finding, conforming to the pinned version', () => {
    const report = aReport([aFinding()]);
    const [event, ...rest] = ocsfEventsFromReports(report, TOOL);
    expect(rest).toEqual([]);
    expect(ocsfProblems(event!)).toEqual([]);
    expect(event).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      activity_name: 'Create',
      type_uid: 200401,
      status_id: 1,
      status: 'New',
      severity_id: 3,
      severity: 'Medium',
      time: ms('2025-06-02T08:00:00.000Z'),
      is_alert: true,
      metadata: {
        version: '1.6.0',
        product: { name: 'iam-posture', vendor_name: 'iam-posture', version: '1.2.3' },
        profiles: ['cloud'],
      },
      finding_info: {
        uid: '0123456789abcdef0123456789abcdef',
        title: 'Access keys are rotated within the rotation window',
        desc: 'Access key AKIAIOSFODNN7EXAMPLE of user deploy-bot is 120 days old.',
        types: ['access-key-not-rotated'],
        analytic: { uid: 'access-key-not-rotated', type_id: 1, type: 'Rule' },
        created_time: ms('2025-06-02T08:00:00.000Z'),
        first_seen_time: ms('2025-06-02T08:00:00.000Z'),
        last_seen_time: ms('2025-06-02T08:00:00.000Z'),
        tags: [
          { name: 'cis-aws-3.0', value: '1.14' },
          { name: 'aws-fsbp', value: 'IAM.3' },
        ],
      },
      cloud: { provider: 'AWS', account: { uid: '111122223333', type_id: 10, type: 'AWS Account' } },
      resources: [
        {
          uid: 'arn:aws:iam::111122223333:user/deploy-bot',
          uid_alt: 'AKIAIOSFODNN7EXAMPLE',
          type: 'AWS::IAM::AccessKey',
          name: 'deploy-bot',
          cloud_partition: 'aws',
          data: { subResource: 'AKIAIOSFODNN7EXAMPLE' },
        },
      ],
      evidences: [{ data: { createdAt: '2025-02-02T08:00:00.000Z', ageDays: 120, thresholdDays: 90 } }],
      remediation: { desc: 'Rotate the key.' },
      unmapped: {
        ruleId: 'access-key-not-rotated',
        riskScore: 310,
        remediationAction: 'deactivate-access-key',
        compliance: {
          standards: [
            'CIS Amazon Web Services Foundations Benchmark v3.0.0',
            'AWS Foundational Security Best Practices',
          ],
          controls: 'CIS 1.14, FSBP IAM.3',
        },
      },
    });
    expect((event!.remediation as { references: string[] }).references.length).toBeGreaterThan(0);
  });

  it('the conformance check finds what the version forbids, so a bad event fails the tests', () => {
    const [event] = ocsfEventsFromReports(aReport([aFinding()]), TOOL);
    const { finding_info: _info, ...noInfo } = event!;
    expect(ocsfProblems(noInfo)).toEqual(['missing finding_info']);
    expect(ocsfProblems({ ...event!, type_uid: 200402 })).toEqual([
      'type_uid 200402 is not class_uid * 100 + activity_id',
    ]);
    expect(ocsfProblems({ ...event!, status_id: 7 })).toEqual(['status_id 7 is not in the enum']);
    expect(ocsfProblems({ ...event!, status: 'Resolved' })).toEqual([
      'status Resolved does not match status_id 1',
    ]);
    expect(ocsfProblems({ ...event!, severity_id: 3, severity: 'High' })).toEqual([
      'severity High does not match severity_id 3',
    ]);
    expect(ocsfProblems({ ...event!, cloud: { account: { uid: '1' } } })).toEqual(['missing cloud.provider']);
    expect(ocsfProblems({ ...event!, findings_info: {} })).toEqual(['unknown attribute findings_info']);
    // Only the Compliance Finding class has a compliance object.
    expect(ocsfProblems({ ...event!, compliance: { status_id: 3 } })).toEqual([
      'unknown attribute compliance',
    ]);
    expect(ocsfProblems({ ...event!, evidences: [{ detail: 1 }] })).toEqual([
      'evidences[0] has none of actor, api, connection_info, data, database, databucket, device, dst_endpoint, email, file, process, query, resources, src_endpoint, url, user, job, script',
      'unknown attribute evidences[0].detail',
    ]);
    expect(ocsfProblems({ ...event!, time: '2025-06-02' })).toEqual(['time is not a timestamp']);
  });

  it.each([
    ['informational', 1, 'Informational'],
    ['low', 2, 'Low'],
    ['medium', 3, 'Medium'],
    ['high', 4, 'High'],
    ['critical', 5, 'Critical'],
  ] as const)('maps severity %s to severity_id %i (%s)', (severity, id, name) => {
    const [event] = ocsfEventsFromReports(aReport([aFinding({ severity })]), TOOL);
    expect(event).toMatchObject({ severity_id: id, severity: name });
    expect(ocsfProblems(event!)).toEqual([]);
  });

  it('a suppressed finding in a scan is Create / Suppressed, not an alert, with its exemption', () => {
    const suppression = { reason: 'Vendor key', owner: 'platform', expires: '2026-12-31' };
    const [event] = ocsfEventsFromReports(aReport([aFinding({ suppression })]), TOOL);
    expect(event).toMatchObject({
      activity_id: 1,
      type_uid: 200401,
      status_id: 3,
      status: 'Suppressed',
      is_alert: false,
    });
    expect((event!.unmapped as Json).suppression).toEqual(suppression);
    expect(ocsfProblems(event!)).toEqual([]);
  });

  it('a secret carries its region on the event and the resource; a finding without compliance has no control tags', () => {
    const [event] = ocsfEventsFromReports(
      aReport([
        aFinding({
          ruleId: 'scan-coverage-gap',
          resourceType: 'secret',
          resourceArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf',
          subResource: undefined,
          region: 'eu-west-1',
          compliance: [],
        }),
      ]),
      TOOL,
    );
    expect(event!.cloud).toEqual({
      provider: 'AWS',
      account: { uid: '111122223333', type_id: 10, type: 'AWS Account' },
      region: 'eu-west-1',
    });
    expect(event!.resources).toEqual([
      {
        uid: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf',
        type: 'AWS::SecretsManager::Secret',
        name: 'db-AbCdEf',
        region: 'eu-west-1',
        cloud_partition: 'aws',
      },
    ]);
    expect(event!.finding_info).not.toHaveProperty('tags');
    expect(event!.unmapped).not.toHaveProperty('compliance');
    expect(ocsfProblems(event!)).toEqual([]);
  });

  it('writes JSON Lines: one complete event per line, every account of an organization run', () => {
    const second = aReport([aFinding({ id: 'ffff', accountId: '444455556666' })]);
    const text = formatOcsf([aReport([aFinding(), aFinding({ id: 'eeee' })]), second], TOOL);
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe('');
    const events = lines.slice(0, -1).map((line) => JSON.parse(line) as OcsfEvent);
    expect(events.map((e) => (e.finding_info as Json).uid)).toEqual([
      '0123456789abcdef0123456789abcdef',
      'eeee',
      'ffff',
    ]);
    expect(events.map((e) => ((e.cloud as Json).account as Json).uid)).toEqual([
      '111122223333',
      '111122223333',
      '444455556666',
    ]);
    for (const event of events) expect(ocsfProblems(event)).toEqual([]);
    expect(formatReport(aReport([aFinding()]), 'ocsf', { color: false }, TOOL)).toBe(
      formatOcsf(aReport([aFinding()]), TOOL),
    );
    expect(formatOcsfLines([])).toBe('');
  });
});

describe('OCSF lifecycle of stored findings', () => {
  it.each([
    {
      name: 'open, first seen by the latest scan: Create / New at first sight',
      finding: stored({ firstSeenScanId: 'scan-3', firstSeenAt: '2025-06-02T08:00:00.000Z' }),
      expected: {
        activity_id: 1,
        type_uid: 200401,
        status_id: 1,
        status: 'New',
        time: ms('2025-06-02T08:00:00.000Z'),
      },
    },
    {
      name: 'open, seen before the latest scan: Update / New at the latest sighting',
      finding: stored(),
      expected: {
        activity_id: 2,
        type_uid: 200402,
        status_id: 1,
        status: 'New',
        time: ms('2025-06-02T08:00:00.000Z'),
      },
    },
    {
      name: 'open, not checked by the latest scan: Update / New, said in status_detail',
      finding: stored({ lastSeenScanId: undefined, lastSeenAt: undefined, unverifiedInLatestScan: true }),
      expected: {
        activity_id: 2,
        type_uid: 200402,
        status_id: 1,
        status_detail: 'not checked in the latest scan',
        time: ms('2025-05-01T08:00:00.000Z'),
      },
    },
    {
      name: 'suppressed: Update / Suppressed since the suppression',
      finding: stored({
        status: 'suppressed',
        suppressedAt: '2025-05-20T08:00:00.000Z',
        suppression: { reason: 'r', owner: 'o', expires: '2026-12-31' },
      }),
      expected: {
        activity_id: 2,
        type_uid: 200402,
        status_id: 3,
        status: 'Suppressed',
        time: ms('2025-05-20T08:00:00.000Z'),
      },
    },
    {
      name: 'suppressed on first sight: Create / Suppressed',
      finding: stored({
        status: 'suppressed',
        firstSeenScanId: 'scan-3',
        firstSeenAt: '2025-06-02T08:00:00.000Z',
      }),
      expected: { activity_id: 1, type_uid: 200401, status_id: 3, status: 'Suppressed' },
    },
    {
      name: 'resolved: Close / Resolved at the resolution',
      finding: stored({
        status: 'resolved',
        resolvedAt: '2025-06-01T08:00:00.000Z',
        lastSeenScanId: undefined,
        lastSeenAt: undefined,
      }),
      expected: {
        activity_id: 3,
        type_uid: 200403,
        status_id: 4,
        status: 'Resolved',
        time: ms('2025-06-01T08:00:00.000Z'),
      },
    },
    {
      name: 'remediated: Close / Resolved, with remediated as the detail',
      finding: stored({
        status: 'remediated',
        remediatedAt: '2025-05-25T08:00:00.000Z',
        lastSeenScanId: undefined,
        lastSeenAt: undefined,
      }),
      expected: {
        activity_id: 3,
        type_uid: 200403,
        status_id: 4,
        status: 'Resolved',
        status_detail: 'remediated',
        time: ms('2025-05-25T08:00:00.000Z'),
      },
    },
  ])('$name', ({ finding, expected }) => {
    const [event] = ocsfEventsFromStored([finding], TOOL);
    expect(event).toMatchObject(expected);
    expect(ocsfProblems(event!)).toEqual([]);
    expect(event!.is_alert).toBe(expected.status_id === 1);
    expect(event!.finding_info).toMatchObject({
      uid: finding.id,
      first_seen_time: ms(finding.firstSeenAt),
      created_time: ms(finding.firstSeenAt),
      modified_time: ms(finding.lastChangedAt),
    });
    expect((event!.unmapped as Json).status).toBe(finding.status);
  });

  it('gives the last-seen time only when the latest scan saw the finding', () => {
    expect(storedLifecycle(stored()).lastSeen?.toISOString()).toBe('2025-06-02T08:00:00.000Z');
    const [resolved] = ocsfEventsFromStored(
      [stored({ status: 'resolved', resolvedAt: '2025-06-01T08:00:00.000Z', lastSeenAt: undefined })],
      TOOL,
    );
    expect(resolved!.finding_info).not.toHaveProperty('last_seen_time');
  });

  it('keeps an event uid that is the same when the same state is emitted again, and differs across states', () => {
    const open = detectionFinding(aFinding(), storedLifecycle(stored()), TOOL);
    const again = detectionFinding(aFinding(), storedLifecycle(stored()), TOOL);
    const closed = detectionFinding(
      aFinding(),
      storedLifecycle(stored({ status: 'resolved', resolvedAt: '2025-06-03T08:00:00.000Z' })),
      TOOL,
    );
    expect((open.metadata as Json).uid).toBe((again.metadata as Json).uid);
    expect((open.metadata as Json).uid).not.toBe((closed.metadata as Json).uid);
  });

  it('is what `findings --format ocsf` prints for a listing', () => {
    const listing = { findings: [stored(), stored({ id: 'second', status: 'resolved' })], malformed: [] };
    const lines = formatFindingsListing(listing, 'ocsf', TOOL).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { activity_id: number }).activity_id)).toEqual([2, 3]);
  });
});
