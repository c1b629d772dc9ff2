import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../functions/core/deploy-config';
import { describeOwner, requestMessage } from '../../../functions/core/slack/messages';
import { findingNoticeMessage } from '../../../functions/core/slack/notice-messages';
import {
  parseSlackNotifyConfig,
  slackNotifyEnvironment,
} from '../../../functions/core/slack-function-config';
import { aRequest } from './fixtures';

const OWNER = { id: 'team-payments', source: 'tag:owner' };
const TARGETS = { 'team-payments': 'U0PAYMENTS', 'team-data': 'C0DATA0001', 'team-web': '#web-oncall' };

/** The mrkdwn texts of a message's section fields. */
function fieldsOf(message: { blocks: unknown[] }): string[] {
  return (message.blocks as { fields?: { text: string }[] }[]).flatMap((b) =>
    (b.fields ?? []).map((f) => f.text),
  );
}

describe('describeOwner', () => {
  it.each([
    ['team-payments', '<@U0PAYMENTS>'],
    ['team-data', '<#C0DATA0001>'],
    ['team-web', '#web-oncall'],
  ])('mentions %s as %s', (id, mention) => {
    expect(describeOwner({ id }, TARGETS)).toBe(`${id} (${mention})`);
  });

  it('names an owner without a Slack mapping, and never looks up inherited keys', () => {
    expect(describeOwner({ id: 'team-x' }, TARGETS)).toBe('team-x');
    expect(describeOwner({ id: 'constructor' }, TARGETS)).toBe('constructor');
  });
});

describe('the approval request', () => {
  it('names the owner and mentions their Slack user', () => {
    const request = aRequest();
    const owned = { ...request, finding: { ...request.finding, owner: OWNER } };
    expect(fieldsOf(requestMessage(owned, { ownerSlack: TARGETS }))).toContain(
      '*Owner*\nteam-payments (<@U0PAYMENTS>)',
    );
    expect(fieldsOf(requestMessage(owned))).toContain('*Owner*\nteam-payments');
  });

  it('has no owner field for a finding without an owner', () => {
    expect(
      fieldsOf(requestMessage(aRequest(), { ownerSlack: TARGETS })).some((f) => f.startsWith('*Owner*')),
    ).toBe(false);
  });
});

describe('the notice of a finding without automatic remediation', () => {
  const notice = {
    id: 'f1',
    accountId: '123456789012',
    ruleId: 'identity-owner-missing',
    title: 'Non-human identities have an owner',
    severity: 'low' as const,
    resourceArn: 'arn:aws:iam::123456789012:role/x',
    reason: 'Role x has no owner.',
  };

  it('mentions the owner’s channel', () => {
    const message = findingNoticeMessage(
      { ...notice, owner: { id: 'team-data', source: 'tag:team' } },
      undefined,
      TARGETS,
    );
    expect(fieldsOf(message)).toContain('*Owner*\nteam-data (<#C0DATA0001>)');
  });

  it('shows no owner field when there is none', () => {
    expect(
      fieldsOf(findingNoticeMessage(notice, undefined, TARGETS)).some((f) => f.startsWith('*Owner*')),
    ).toBe(false);
  });
});

describe('owner Slack targets in the deploy config and the notify function', () => {
  it('accepts users, channels and #names, and reaches the notify function', () => {
    const config = parseDeployConfig({ ownership: { slack: TARGETS } });
    expect(config.ownership).toEqual({ tagKeys: ['owner', 'team', 'contact'], patterns: [], slack: TARGETS });
    const env = slackNotifyEnvironment({
      findingsTableName: 't',
      botTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
      channelId: 'C0123ABCD',
      protection: { protectedArns: [], breakGlassArns: [], ownArns: [] },
      ownerSlack: config.ownership.slack,
    });
    expect(parseSlackNotifyConfig(env).ownerSlack).toEqual(TARGETS);
  });

  it.each([
    [{ 'team-a': 'alice' }, 'ownership.slack.team-a: must be a Slack user id like U0123ABCD'],
    [{ 'team-a': '#Has Space' }, 'ownership.slack.team-a'],
    [{ 'team-a': 'D0123ABCD' }, 'ownership.slack.team-a'],
  ])('rejects %j naming the owner', (slack, message) => {
    expect(() => parseDeployConfig({ ownership: { slack } })).toThrow(message);
  });

  it('rejects a bad target in the function environment, naming the variable', () => {
    expect(() =>
      parseSlackNotifyConfig({
        FINDINGS_TABLE_NAME: 't',
        SLACK_BOT_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
        SLACK_CHANNEL_ID: 'C0123ABCD',
        OWNER_SLACK_TARGETS: '{"team-a":"bob"}',
      }),
    ).toThrow('OWNER_SLACK_TARGETS');
  });

  it('passes the ownership settings, without the Slack map, to the scan', async () => {
    const { scanSettingsOf } = await import('../../../functions/core/deploy-config');
    const config = parseDeployConfig({
      ownership: {
        tagKeys: ['app-owner'],
        patterns: [{ arn: 'arn:aws:iam::*:role/ci-*', owner: 'ci' }],
        slack: TARGETS,
      },
      environments: { accounts: { '111111111111': 'prod' } },
    });
    expect(scanSettingsOf(config).ownership).toEqual({
      tagKeys: ['app-owner'],
      patterns: [{ arn: 'arn:aws:iam::*:role/ci-*', owner: 'ci' }],
    });
    expect(scanSettingsOf(config).environments).toEqual({
      accounts: { '111111111111': 'prod' },
      ous: {},
      production: ['prod'],
    });
  });
});
