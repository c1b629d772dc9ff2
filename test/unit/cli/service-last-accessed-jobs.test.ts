import { GenerateServiceLastAccessedDetailsCommand } from '@aws-sdk/client-iam';
import { InvalidArgumentError } from 'commander';
import { beforeEach, describe, expect, it } from 'vitest';
import { collectLive } from '../../../bin/commands/collect';
import type { Io } from '../../../bin/commands/io';
import { parseJobBudget } from '../../../bin/commands/options';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import { ACCOUNT_ID, HOME_REGION, mocks, resetMocks, stubHealthyAccount } from '../collector-fixtures';

const io = { stdout: process.stdout, stderr: process.stderr, env: {} } as unknown as Io;

beforeEach(() => {
  resetMocks();
  stubHealthyAccount();
});

function jobs(): string[] {
  return mocks.iam
    .commandCalls(GenerateServiceLastAccessedDetailsCommand)
    .map((call) => call.args[0].input.Arn!);
}

describe('--service-last-accessed-jobs', () => {
  it('accepts 0 to 5000 jobs', () => {
    expect([parseJobBudget('0'), parseJobBudget('1'), parseJobBudget(' 5000 ')]).toEqual([0, 1, 5000]);
  });

  it.each(['5001', '-1', '2.5', 'ten', ''])('refuses %j, naming the bounds', (value) => {
    expect(() => parseJobBudget(value)).toThrow(InvalidArgumentError);
    expect(() => parseJobBudget(value)).toThrow('expected a whole number of jobs from 0 to 5000');
  });

  it('caps the jobs of a live collection', async () => {
    // Two principals hold policies: a budget of one generates the first by ARN, the other waits.
    const capped = await collectLive(
      { region: [HOME_REGION], quiet: true, serviceLastAccessedJobs: 1 },
      DEFAULT_SETTINGS,
      io,
    );
    expect(jobs()).toEqual([`arn:aws:iam::${ACCOUNT_ID}:role/ci-deploy`]);
    expect(capped.serviceLastAccessed).toEqual({ generated: 1, reused: 0, deferred: 1 });

    mocks.iam.resetHistory();
    const none = await collectLive(
      { region: [HOME_REGION], quiet: true, serviceLastAccessedJobs: 0 },
      DEFAULT_SETTINGS,
      io,
    );
    expect(jobs()).toEqual([]);
    expect(none.serviceLastAccessed).toEqual({ generated: 0, reused: 0, deferred: 2 });

    mocks.iam.resetHistory();
    await collectLive({ region: [HOME_REGION], quiet: true }, DEFAULT_SETTINGS, io);
    expect(jobs()).toHaveLength(2);
  });
});
