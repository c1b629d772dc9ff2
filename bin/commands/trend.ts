import { InvalidArgumentError } from 'commander';
import type { TrendFormat } from '../../functions/core/governance-trend';
import { formatTrend } from '../../functions/core/governance-trend';
import { governanceTrend } from '../../functions/use-cases/trend';
import { EXIT, fail, type Io } from './io';
import { type AwsOptions, tableAwsConfig } from './options';

export interface TrendCommandOptions extends AwsOptions {
  table?: string;
  /** Repeatable, each value one id or a comma-separated list. */
  account?: string[];
  last: number;
  format: TrendFormat;
}

export const DEFAULT_TREND_SCANS = 10;
export const MAX_TREND_SCANS = 100;
const ACCOUNT_ID = /^\d{12}$/;

/** `--last N`: how many scans per account, 1..100. */
export function parseLast(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count) || count < 1 || count > MAX_TREND_SCANS) {
    throw new InvalidArgumentError(`expected a number of scans from 1 to ${MAX_TREND_SCANS}`);
  }
  return count;
}

/** `trend`: the governance measures of each account over its last scans, oldest first. */
export async function trendCommand(options: TrendCommandOptions, io: Io): Promise<number> {
  const table = options.table ?? io.env.IAM_POSTURE_TABLE;
  if (!table) fail('trend needs --table NAME (or the IAM_POSTURE_TABLE environment variable)');
  const accounts = (options.account ?? []).flatMap((value) => value.split(',')).map((value) => value.trim());
  for (const account of accounts) {
    if (!ACCOUNT_ID.test(account)) fail(`--account ${account} is not a 12-digit AWS account id`);
  }
  const aws = await tableAwsConfig(options);
  const { findingsStore } = await import('../../functions/wiring/stores');
  const trends = await governanceTrend(findingsStore(aws, table), { accounts, last: options.last });
  if (trends.length === 0 && options.format !== 'table') {
    io.stderr.write(`iam-posture: no scans recorded in table ${table}\n`);
  }
  io.stdout.write(formatTrend(trends, options.format));
  const malformed = trends.reduce((sum, trend) => sum + trend.malformed.length, 0);
  if (options.format !== 'table' && malformed > 0) {
    io.stderr.write(
      `iam-posture: warning: ${malformed} stored scan record(s) are malformed (see "malformed")\n`,
    );
  }
  return EXIT.ok;
}
