import {
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
} from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClock, nextTurn } from '../support/clock';
import {
  ACCOUNT_ID,
  fixture,
  mocks,
  resetMocks,
  runCollection,
  serviceError,
  stubHealthyAccount,
} from './collector-fixtures';

const CI_DEPLOY = `arn:aws:iam::${ACCOUNT_ID}:role/ci-deploy`;
const ALICE = `arn:aws:iam::${ACCOUNT_ID}:user/alice`;

beforeEach(() => {
  resetMocks();
  stubHealthyAccount();
});

function jobsFor(): string[] {
  return mocks.iam
    .commandCalls(GenerateServiceLastAccessedDetailsCommand)
    .map((call) => call.args[0].input.Arn!)
    .sort();
}

/** A cached `get-service-last-accessed-details` output completed at `completedAt`. */
function cached(completedAt: string, namespace = 'ec2') {
  return {
    JobStatus: 'COMPLETED',
    JobType: 'SERVICE_LEVEL',
    JobCreationDate: completedAt,
    JobCompletionDate: completedAt,
    ServicesLastAccessed: [
      { ServiceName: namespace, ServiceNamespace: namespace, TotalAuthenticatedEntities: 0 },
    ],
  };
}

describe('service last accessed collection', () => {
  it('runs jobs only for roles and users holding policies, never for service-linked roles', async () => {
    await runCollection();
    // ci-deploy holds a managed policy; alice an inline one and a group's; bob and idle hold
    // nothing; AWSServiceRoleForSupport is service-linked.
    expect(jobsFor()).toEqual([CI_DEPLOY, ALICE]);
    expect(
      mocks.iam
        .commandCalls(GenerateServiceLastAccessedDetailsCommand)
        .map((call) => call.args[0].input.Granularity),
    ).toEqual(['SERVICE_LEVEL', 'SERVICE_LEVEL']);
  });

  it('counts a user as holding policies through a group', async () => {
    const users = fixture('get-account-authorization-details-page-1.json');
    users.UserDetailList[0].UserPolicyList = [];
    users.IsTruncated = false;
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves(users);
    await runCollection();
    expect(jobsFor()).toEqual([ALICE]);

    users.UserDetailList[0].GroupList = [];
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves(users);
    mocks.iam.resetHistory();
    await runCollection();
    expect(jobsFor()).toEqual([]);
  });

  it('polls an in-progress job with backoff and merges every page of the result', async () => {
    const progress = ['IN_PROGRESS', 'IN_PROGRESS'];
    mocks.iam.on(GetServiceLastAccessedDetailsCommand).callsFake((input: { Marker?: string }) => {
      if (!input.Marker && progress.length > 0) {
        progress.shift();
        return { JobStatus: 'IN_PROGRESS', JobCreationDate: new Date('2024-06-01T12:00:00Z') };
      }
      return fixture(
        input.Marker
          ? 'get-service-last-accessed-details-page-2.json'
          : 'get-service-last-accessed-details-page-1.json',
      );
    });
    const clock = fakeClock();
    const { result } = await runCollection({ clock, collector: { jobConcurrency: 1 } });

    expect(clock.sleeps).toEqual([1000, 2000]);
    expect(result.raw.serviceLastAccessed?.[CI_DEPLOY]).toEqual({
      JobStatus: 'COMPLETED',
      JobType: 'SERVICE_LEVEL',
      JobCreationDate: '2024-06-01T12:00:00.000Z',
      JobCompletionDate: '2024-06-01T12:00:05.000Z',
      ServicesLastAccessed: [
        {
          ServiceName: 'AWS CloudFormation',
          ServiceNamespace: 'cloudformation',
          LastAuthenticated: '2024-05-20T08:30:00.000Z',
          LastAuthenticatedEntity: CI_DEPLOY,
          LastAuthenticatedRegion: 'eu-west-1',
          TotalAuthenticatedEntities: 1,
        },
        { ServiceName: 'Amazon S3', ServiceNamespace: 's3', TotalAuthenticatedEntities: 0 },
      ],
    });
    const pages = mocks.iam
      .commandCalls(GetServiceLastAccessedDetailsCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.JobId === `job:${CI_DEPLOY}`);
    expect(pages).toEqual([
      { JobId: `job:${CI_DEPLOY}` },
      { JobId: `job:${CI_DEPLOY}` },
      { JobId: `job:${CI_DEPLOY}` },
      { JobId: `job:${CI_DEPLOY}`, Marker: 'sla-page-2' },
    ]);
    expect(result.serviceLastAccessed).toEqual({ generated: 2, reused: 0, deferred: 0 });
  });

  it('records a Timeout gap for a job that never completes', async () => {
    mocks.iam
      .on(GetServiceLastAccessedDetailsCommand)
      .resolves({ JobStatus: 'IN_PROGRESS', JobCreationDate: new Date('2024-06-01T12:00:00Z') });
    const { result } = await runCollection({
      collector: { serviceLastAccessed: { timeoutMs: 10_000, initialDelayMs: 1000, maxDelayMs: 4000 } },
    });
    expect(result.raw.serviceLastAccessed).toBeUndefined();
    expect(result.raw.coverageGaps).toEqual([
      {
        kind: 'coverage-gap',
        arn: CI_DEPLOY,
        accountId: ACCOUNT_ID,
        source: 'iam:GetServiceLastAccessedDetails',
        category: 'Timeout',
        reason: `Job job:${CI_DEPLOY} was still in progress after 10 s; its service last accessed data was not read.`,
      },
      expect.objectContaining({ arn: ALICE, category: 'Timeout' }),
    ]);
  });

  it('records a gap for a failed job, with its error message', async () => {
    mocks.iam
      .on(GetServiceLastAccessedDetailsCommand)
      .callsFake((input: { JobId: string; Marker?: string }) => {
        if (input.JobId === `job:${ALICE}`) {
          return {
            JobStatus: 'FAILED',
            JobCreationDate: new Date('2024-06-01T12:00:00Z'),
            JobCompletionDate: new Date('2024-06-01T12:00:02Z'),
            Error: { Code: 'InternalError', Message: 'The job could not be completed' },
          };
        }
        return fixture(
          input.Marker
            ? 'get-service-last-accessed-details-page-2.json'
            : 'get-service-last-accessed-details-page-1.json',
        );
      });
    const { result } = await runCollection();
    expect(Object.keys(result.raw.serviceLastAccessed ?? {})).toEqual([CI_DEPLOY]);
    expect(result.raw.coverageGaps.map((gap) => [gap.arn, gap.category, gap.reason])).toEqual([
      [
        ALICE,
        'ServiceError',
        `Job job:${ALICE} ended FAILED (The job could not be completed); its service last accessed data was not read.`,
      ],
    ]);
  });

  it('stops at the per-scan cap and records one gap naming the principals left without data', async () => {
    const { result } = await runCollection({ serviceLastAccessed: { maxJobs: 1 } });
    expect(jobsFor()).toEqual([CI_DEPLOY]);
    expect(Object.keys(result.raw.serviceLastAccessed ?? {})).toEqual([CI_DEPLOY]);
    expect(result.serviceLastAccessed).toEqual({ generated: 1, reused: 0, deferred: 1 });
    expect(result.raw.coverageGaps).toEqual([
      {
        kind: 'coverage-gap',
        arn: '',
        accountId: ACCOUNT_ID,
        source: 'iam:GenerateServiceLastAccessedDetails',
        category: 'Deferred',
        detail: 'job-cap',
        reason: `The cap of 1 service-last-accessed jobs per collection was reached; no data was generated for 1 principal(s) (${ALICE}), later collections continue with them.`,
      },
    ]);
  });

  it('reuses fresh results of an earlier collection and refreshes stale ones', async () => {
    const fresh = cached('2024-05-30T00:00:00.000Z'); // 2.5 days before NOW
    const stale = cached('2024-05-01T00:00:00.000Z');
    const { result } = await runCollection({
      serviceLastAccessed: { previous: { [CI_DEPLOY]: fresh, [ALICE]: stale }, maxAgeDays: 7 },
    });
    expect(jobsFor()).toEqual([ALICE]);
    expect(result.raw.serviceLastAccessed?.[CI_DEPLOY]).toBe(fresh);
    expect(result.raw.serviceLastAccessed?.[ALICE]).toMatchObject({
      JobCompletionDate: '2024-06-01T12:00:05.000Z',
    });
    expect(result.serviceLastAccessed).toEqual({ generated: 1, reused: 1, deferred: 0 });
  });

  it('treats the configured age as the freshness limit', async () => {
    const threeDaysOld = cached('2024-05-29T12:00:00.000Z');
    await runCollection({ serviceLastAccessed: { previous: { [CI_DEPLOY]: threeDaysOld }, maxAgeDays: 2 } });
    expect(jobsFor()).toEqual([CI_DEPLOY, ALICE]);
  });

  it('spends the cap on principals without data first and keeps stale data for the deferred ones', async () => {
    const stale = cached('2024-04-01T00:00:00.000Z');
    const { result } = await runCollection({
      serviceLastAccessed: { previous: { [CI_DEPLOY]: stale }, maxJobs: 1 },
    });
    expect(jobsFor()).toEqual([ALICE]);
    expect(result.raw.serviceLastAccessed?.[CI_DEPLOY]).toBe(stale);
    expect(result.raw.coverageGaps).toEqual([]);
    expect(result.serviceLastAccessed).toEqual({ generated: 1, reused: 0, deferred: 1 });
  });

  it('keeps earlier data when a refresh fails, next to the gap saying why', async () => {
    mocks.iam
      .on(GenerateServiceLastAccessedDetailsCommand)
      .rejects(
        serviceError('AccessDenied', 'not authorized to perform iam:GenerateServiceLastAccessedDetails', 403),
      );
    const stale = cached('2024-04-01T00:00:00.000Z');
    const { result } = await runCollection({ serviceLastAccessed: { previous: { [ALICE]: stale } } });
    expect(result.raw.serviceLastAccessed).toEqual({ [ALICE]: stale });
    expect(result.raw.coverageGaps.map((gap) => [gap.arn, gap.source, gap.category])).toEqual([
      [CI_DEPLOY, 'iam:GenerateServiceLastAccessedDetails', 'AccessDenied'],
      [ALICE, 'iam:GenerateServiceLastAccessedDetails', 'AccessDenied'],
    ]);
  });

  it('drops cached results of principals that no longer need them', async () => {
    const gone = `arn:aws:iam::${ACCOUNT_ID}:role/deleted`;
    const { result } = await runCollection({
      serviceLastAccessed: { previous: { [gone]: cached('2024-05-31T00:00:00.000Z') } },
    });
    expect(Object.keys(result.raw.serviceLastAccessed ?? {})).toEqual([CI_DEPLOY, ALICE]);
  });

  it('keeps at most `jobConcurrency` jobs in flight', async () => {
    const roles = fixture('get-account-authorization-details-page-2.json');
    const template = roles.RoleDetailList[0];
    roles.RoleDetailList = Array.from({ length: 9 }, (_, i) => ({
      ...template,
      RoleName: `worker-${i}`,
      Arn: `arn:aws:iam::${ACCOUNT_ID}:role/worker-${i}`,
    }));
    roles.IsTruncated = false;
    mocks.iam.on(GenerateServiceLastAccessedDetailsCommand).callsFake((input: { Arn: string }) => ({
      JobId: `job:${input.Arn}`,
    }));
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves(roles);
    let inFlight = 0;
    let peak = 0;
    mocks.iam.on(GetServiceLastAccessedDetailsCommand).callsFake(async (input: { Marker?: string }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await nextTurn();
      inFlight--;
      return fixture(
        input.Marker
          ? 'get-service-last-accessed-details-page-2.json'
          : 'get-service-last-accessed-details-page-1.json',
      );
    });
    const { result } = await runCollection({ collector: { jobConcurrency: 3 } });
    expect(result.serviceLastAccessed.generated).toBe(9);
    expect(peak).toBe(3);
  });

  it('makes no service-last-accessed call when the rule that needs it is disabled', async () => {
    const { result } = await runCollection({ settings: { disabledRules: ['unused-service-permissions'] } });
    expect(mocks.iam.commandCalls(GenerateServiceLastAccessedDetailsCommand)).toHaveLength(0);
    expect(mocks.iam.commandCalls(GetServiceLastAccessedDetailsCommand)).toHaveLength(0);
    expect(result.raw.serviceLastAccessed).toBeUndefined();
  });
});
