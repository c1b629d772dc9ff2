import { InvalidArgumentError, Option } from 'commander';
import { parseAwsTimestamp, TimestampFormatError } from '../../functions/core/credential-report';
import { regionProblem } from '../../functions/core/regions';
import { SEVERITIES, type Severity } from '../../functions/core/rule';
import {
  DEFAULT_SERVICE_LAST_ACCESSED_MAX_JOBS,
  MAX_SERVICE_LAST_ACCESSED_MAX_JOBS,
} from '../../functions/core/scan-function-config';
import type { AwsConfig } from '../../functions/wiring/aws';
import { fail } from './io';

/** The AWS flags every command that calls AWS takes: `--profile`, `--region`, `--endpoint-url`. */
export interface AwsOptions {
  profile?: string;
  /** Live scans and `collect` take every `--region` value (each may be a comma list, or `all`). */
  region?: string | string[];
  endpointUrl?: string;
}

/** `--region a,b --region c` -> [a, b, c]; `all` stands alone; nothing means the home region. */
export function parseRegions(values: string[]): string[] | 'all' | undefined {
  const regions = [
    ...new Set(values.flatMap((value) => value.split(',')).map((value) => value.trim())),
  ].filter((value) => value !== '');
  if (regions.length === 0) return undefined;
  if (regions.includes('all')) {
    if (regions.length > 1)
      fail('--region all lists every enabled region; it cannot be combined with other regions');
    return 'all';
  }
  for (const region of regions) {
    const problem = regionProblem(region);
    if (problem) fail(`--region: ${problem} (or all)`);
  }
  return regions;
}

/** The config of a live collection: IAM and STS are called in the first region named, else the home region. */
export function liveAwsConfig(options: AwsOptions, regions: string[] | 'all' | undefined): AwsConfig {
  return {
    ...(options.profile ? { profile: options.profile } : {}),
    ...(Array.isArray(regions) ? { region: regions[0] } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
}

/** Where the findings table is: the first --region, else the profile's or AWS_REGION, else us-east-1. */
export async function tableAwsConfig(options: AwsOptions): Promise<AwsConfig> {
  const named = [options.region ?? []]
    .flat()
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .find((value) => value !== '' && value !== 'all');
  const problem = named === undefined ? undefined : regionProblem(named);
  if (problem) fail(`--region: ${problem}`);
  // The AWS SDK loads only for commands that call AWS: an offline scan starts without it.
  const { resolvedRegion } = await import('../../functions/wiring/aws');
  const region = await resolvedRegion({
    ...(options.profile ? { profile: options.profile } : {}),
    ...(named ? { region: named } : {}),
  });
  return {
    region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
}

/** The config of the remediation commands: one region, the table's and the acting clients'. */
export function remediationAwsConfig(options: AwsOptions & { region?: string }): AwsConfig {
  const problem = options.region === undefined ? undefined : regionProblem(options.region);
  if (problem) fail(`--region: ${problem}`);
  return {
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
}

// ---------------------------------------------------------------------------- option parsers

/** A repeatable option: every value given, in order. */
export const collectValues = (value: string, previous: string[] = []): string[] => [...previous, value];

export function parseSeverity(value: string): Severity {
  const lower = value.toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(lower)) return lower as Severity;
  throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
}

export function parseInstant(value: string): Date {
  const problem = 'expected an ISO-8601 date or date-time, e.g. 2024-06-01 or 2024-06-01T12:00:00Z';
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) throw new InvalidArgumentError(problem);
  try {
    const date = parseAwsTimestamp(value);
    if (date) return date;
  } catch (error) {
    if (!(error instanceof TimestampFormatError)) throw error;
  }
  throw new InvalidArgumentError(problem);
}

/** `--service-last-accessed-jobs`: the per-collection job budget, as the scan function's variable bounds it. */
export function parseJobBudget(value: string): number {
  const jobs = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(jobs) || jobs > MAX_SERVICE_LAST_ACCESSED_MAX_JOBS) {
    throw new InvalidArgumentError(
      `expected a whole number of jobs from 0 to ${MAX_SERVICE_LAST_ACCESSED_MAX_JOBS}`,
    );
  }
  return jobs;
}

export const serviceLastAccessedJobsOption = () =>
  new Option(
    '--service-last-accessed-jobs <n>',
    `service-last-accessed jobs to generate at most (0..${MAX_SERVICE_LAST_ACCESSED_MAX_JOBS}, default ${DEFAULT_SERVICE_LAST_ACCESSED_MAX_JOBS}); the rest wait for a later collection`,
  ).argParser(parseJobBudget);

export const severityOption = (flags: string, description: string) =>
  new Option(flags, description).argParser(parseSeverity);

/** An option with a fixed set of values, matched case-insensitively like the severities. */
export const choiceOption = <T extends string>(flags: string, description: string, choices: readonly T[]) =>
  new Option(flags, description).choices(choices).argParser((value: string): T => {
    const match = choices.find((choice) => choice === value.toLowerCase());
    if (match === undefined) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    return match;
  });
