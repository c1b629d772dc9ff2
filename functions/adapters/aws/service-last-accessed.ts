import {
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  type GetServiceLastAccessedDetailsCommandOutput,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { mapWithConcurrency } from '../../core/limit';
import type { CoverageGap } from '../../core/model';
import { toCliJson } from './cli-shape';
import { type Clock, type PollingOptions, pollUntil, systemClock } from './clock';
import { coverageGap, type GapCategory, gapFromError } from './errors';
import { checkedPages, iamMarker } from './pages';
import type { OnItemsProgress, Read } from './read';

export interface ServiceLastAccessedOptions {
  clock?: Clock;
  /** Jobs in flight at once. Default 4. */
  concurrency?: number;
  polling?: Partial<PollingOptions>;
}

export const SERVICE_LAST_ACCESSED_POLLING: PollingOptions = {
  timeoutMs: 180_000,
  initialDelayMs: 1_000,
  maxDelayMs: 10_000,
};

/**
 * Service last accessed data (`generate-service-last-accessed-details`, then
 * `get-service-last-accessed-details` until the job is done), per principal ARN.
 */
export class ServiceLastAccessedReader {
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly polling: PollingOptions;

  constructor(
    private readonly iam: IAMClient,
    options: ServiceLastAccessedOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.concurrency = options.concurrency ?? 4;
    this.polling = { ...SERVICE_LAST_ACCESSED_POLLING, ...options.polling };
  }

  /** Principal ARN -> the job's output as the CLI prints it (every page merged). */
  async read(
    accountId: string,
    principalArns: readonly string[],
    onProgress?: OnItemsProgress,
  ): Promise<Read<Record<string, unknown>>> {
    const data: Record<string, unknown> = {};
    const gaps: CoverageGap[] = [];
    let done = 0;
    await mapWithConcurrency(principalArns, this.concurrency, async (arn) => {
      const read = await this.readOne(accountId, arn);
      if (read.data) data[arn] = read.data;
      gaps.push(...read.gaps);
      onProgress?.(++done, principalArns.length);
    });
    return { data, gaps };
  }

  private async readOne(accountId: string, arn: string): Promise<Read<unknown>> {
    const notRead = 'its service last accessed data was not read';
    let jobId: string | undefined;
    try {
      jobId = (
        await this.iam.send(
          new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: 'SERVICE_LEVEL' }),
        )
      ).JobId;
    } catch (error) {
      return {
        gaps: [
          gapFromError(error, { accountId, arn, source: 'iam:GenerateServiceLastAccessedDetails', notRead }),
        ],
      };
    }
    const source = 'iam:GetServiceLastAccessedDetails';
    /** The principal's data was not read, for a reason about its job. */
    const jobGap = (category: GapCategory, reason: string, from = source): Read<unknown> => ({
      gaps: [coverageGap({ accountId, arn, source: from, category, reason: `${reason}; ${notRead}.` })],
    });
    if (!jobId)
      return jobGap('Malformed', 'No job id was returned', 'iam:GenerateServiceLastAccessedDetails');
    let first: GetServiceLastAccessedDetailsCommandOutput | undefined;
    try {
      first = await pollUntil(this.clock, this.polling, async () => {
        const page = await this.iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: jobId }));
        return page.JobStatus === 'IN_PROGRESS' ? undefined : page;
      });
    } catch (error) {
      return { gaps: [gapFromError(error, { accountId, arn, source, notRead })] };
    }
    if (!first) {
      const seconds = Math.round(this.polling.timeoutMs / 1000);
      return jobGap('Timeout', `Job ${jobId} was still in progress after ${seconds} s`);
    }
    if (first.JobStatus !== 'COMPLETED') {
      const message = first.Error?.Message ?? first.Error?.Code ?? 'no error detail';
      return jobGap(
        'ServiceError',
        `Job ${jobId} ended ${first.JobStatus ?? 'without a status'} (${message})`,
      );
    }
    const services: unknown[] = [];
    try {
      for await (const page of checkedPages(this.jobPages(jobId, first), iamMarker)) {
        services.push(...(toCliJson(page.ServicesLastAccessed ?? []) as unknown[]));
      }
    } catch (error) {
      return { gaps: [gapFromError(error, { accountId, arn, source, notRead })] };
    }
    const output = toCliJson(first) as Record<string, unknown>;
    delete output.Error;
    output.ServicesLastAccessed = services;
    return { data: output, gaps: [] };
  }

  /** The pages of a finished job from `first` on; the SDK has no paginator for GetServiceLastAccessedDetails. */
  private async *jobPages(
    jobId: string,
    first: GetServiceLastAccessedDetailsCommandOutput,
  ): AsyncGenerator<GetServiceLastAccessedDetailsCommandOutput> {
    let page = first;
    yield page;
    while (page.Marker) {
      page = await this.iam.send(
        new GetServiceLastAccessedDetailsCommand({ JobId: jobId, Marker: page.Marker }),
      );
      yield page;
    }
  }
}
