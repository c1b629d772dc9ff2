import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoNoticeStore } from '../../functions/adapters/dynamo-notice-store';
import { createSlackWebClient, SlackNotifier } from '../../functions/adapters/slack-notifier';
import type { Finding } from '../../functions/core/finding';
import type { Severity } from '../../functions/core/rule';
import {
  type NotifyFindingDeps,
  notifyFinding,
  postDueDigests,
} from '../../functions/use-cases/notify-finding';
import { useMotoWithTable } from '../support/moto-table';
import { type SlackServer, startSlackServer } from '../support/slack-server';
import { anAccessKey, daysAgo, findingFor } from '../unit/remediation/builders';

/**
 * Notify-only messages on moto's DynamoDB and the local Slack stand-in: a message per finding
 * within the hourly budget, the rest in the day's digest, posted once after the day ends.
 */

const TABLE = 'iam-posture-findings';
const CHANNEL = 'C0CHANNEL1';

let slack: SlackServer;
let clock: Date;
const base = findingFor(
  anAccessKey({ keyId: 'AKIAEXAMPLEKEY000001', lastUsedAt: daysAgo(100) }),
  'access-key-unused',
);

function notifyOnly(n: number, severity: Severity = 'medium'): Finding & { status: 'open' } {
  return {
    ...base,
    id: `finding-${String(n).padStart(3, '0')}`,
    title: `Finding number ${n}`,
    severity,
    resourceArn: `arn:aws:iam::123456789012:role/role-${n}`,
    remediation: { summary: 'Review the role by hand.' },
    status: 'open',
  };
}

function deps(perHour = 3): NotifyFindingDeps {
  return {
    store: new DynamoNoticeStore(env.dynamo, TABLE),
    slack: new SlackNotifier(createSlackWebClient({ slackApiUrl: slack.apiUrl, retries: 0 }), {
      channelId: CHANNEL,
      token: async () => 'xoxb-test',
    }),
    channel: CHANNEL,
    perHour,
    now: () => clock,
  };
}

const posted = () => slack.calls('chat.postMessage').map((call) => call.args);
const headers = () =>
  posted().map((args) => (args.blocks as { type: string; text?: { text: string } }[])[0]?.text?.text ?? '');

const env = useMotoWithTable(TABLE, { dynamo: { maxAttempts: 2 } });

beforeAll(async () => {
  slack = await startSlackServer();
});

afterAll(async () => {
  await slack?.stop();
});

beforeEach(async () => {
  slack.reset();
  clock = new Date('2025-06-03T10:15:00.000Z');
});

describe('notify-only messages (moto, Slack stand-in)', () => {
  it('posts a message per finding up to the hourly budget, then rolls findings into the digest', async () => {
    const outcomes = [];
    for (let n = 1; n <= 5; n++)
      outcomes.push((await notifyFinding({ finding: notifyOnly(n), scanId: 's1' }, deps())).outcome);
    expect(outcomes).toEqual(['noticed', 'noticed', 'noticed', 'digested', 'digested']);
    expect(headers()).toEqual(['New finding', 'New finding', 'New finding']);
    const first = posted()[0]!;
    expect(first.channel).toBe(CHANNEL);
    expect(first.text).toBe(
      `New finding (medium): Finding number 1 on arn:aws:iam::123456789012:role/role-1 in account ${base.accountId}.`,
    );
    expect(JSON.stringify(first.blocks)).toContain('Review the role by hand.');
    expect(JSON.stringify(first.blocks)).not.toContain('"actions"');

    // The next hour has a budget of its own.
    clock = new Date('2025-06-03T11:00:00.000Z');
    expect((await notifyFinding({ finding: notifyOnly(6), scanId: 's2' }, deps())).outcome).toBe('noticed');
  });

  it('posts nothing twice for a repeated delivery, and adds a finding to the digest once', async () => {
    const d = deps(1);
    expect((await notifyFinding({ finding: notifyOnly(1), scanId: 's1' }, d)).outcome).toBe('noticed');
    expect((await notifyFinding({ finding: notifyOnly(1), scanId: 's1' }, d)).outcome).toBe(
      'already-noticed',
    );
    expect((await notifyFinding({ finding: notifyOnly(2), scanId: 's1' }, d)).outcome).toBe('digested');
    expect((await notifyFinding({ finding: notifyOnly(2), scanId: 's1' }, d)).outcome).toBe('digested');
    expect(posted()).toHaveLength(1);
    const digest = await new DynamoNoticeStore(env.dynamo, TABLE).readDigest(CHANNEL, '2025-06-03');
    expect(digest?.counts).toEqual({ critical: 0, high: 0, medium: 1, low: 0, informational: 0 });
  });

  it('posts a message again when the delivery that took the slot failed before posting', async () => {
    slack.failNext('chat.postMessage', { error: 'internal_error' });
    await expect(notifyFinding({ finding: notifyOnly(1), scanId: 's1' }, deps(1))).rejects.toThrow();
    expect((await notifyFinding({ finding: notifyOnly(1), scanId: 's1' }, deps(1))).outcome).toBe('noticed');
    expect(slack.calls('chat.postMessage')).toHaveLength(2);
  });

  it('posts the day’s digest once, after the day ends: counts by severity, the worst first', async () => {
    const d = deps(0);
    const severities: Severity[] = ['low', 'critical', 'medium', 'high', 'medium', 'critical'];
    for (const [i, severity] of severities.entries()) {
      expect((await notifyFinding({ finding: notifyOnly(i, severity), scanId: 's1' }, d)).outcome).toBe(
        'digested',
      );
    }
    expect(await postDueDigests(d)).toEqual([]);
    expect(posted()).toEqual([]);

    clock = new Date('2025-06-04T00:05:00.000Z');
    const [digest] = await postDueDigests(d);
    expect(digest).toMatchObject({ day: '2025-06-03', total: 6 });
    expect(headers()).toEqual(['Digest of new findings, 2025-06-03']);
    const message = posted()[0]!;
    expect(message.text).toBe(
      'Digest of new findings, 2025-06-03: 6 without a message of their own (critical 2, high 1, medium 2, low 1).',
    );
    const listed = (message.blocks as { text?: { text: string } }[])[2]!.text!.text.split('\n');
    expect(listed.map((line) => line.match(/Finding number (\d+)/)?.[1])).toEqual([
      '1',
      '5',
      '3',
      '2',
      '4',
      '0',
    ]);
    expect(JSON.stringify(message.blocks)).toContain('iam-posture findings');

    // A second invocation, and one the next day, post it no more.
    expect(await postDueDigests(d)).toEqual([]);
    clock = new Date('2025-06-05T08:00:00.000Z');
    expect(await postDueDigests(d)).toEqual([]);
    expect(posted()).toHaveLength(1);
  });

  it('tries a digest whose post failed again on the next invocation', async () => {
    const d = deps(0);
    await notifyFinding({ finding: notifyOnly(1, 'high'), scanId: 's1' }, d);
    clock = new Date('2025-06-04T00:05:00.000Z');
    slack.failNext('chat.postMessage', { error: 'internal_error' });
    await expect(postDueDigests(d)).rejects.toThrow();
    const [digest] = await postDueDigests(d);
    expect(digest).toMatchObject({ day: '2025-06-03', total: 1 });
    expect(posted()).toHaveLength(2);
  });
});
