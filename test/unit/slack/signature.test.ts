import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackSignature } from '../../../functions/core/slack/signature';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const body = Buffer.from('payload=%7B%22type%22%3A%22block_actions%22%7D', 'utf8');
const now = 1_700_000_000;

function request(overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) {
  const timestamp = String(now);
  return {
    signingSecret: secret,
    timestamp,
    signature: signSlackRequest(secret, timestamp, body),
    rawBody: body,
    nowSeconds: now,
    ...overrides,
  };
}

describe('verifySlackSignature', () => {
  it('matches the example from Slack documentation', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const docBody = Buffer.from(
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    );
    expect(signSlackRequest(secret, '1531420618', docBody)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('accepts a correctly signed, current request', () => {
    expect(verifySlackSignature(request())).toEqual({ valid: true });
  });

  it.each([
    ['a forged signature', { signature: `v0=${'0'.repeat(64)}` }, 'bad-signature'],
    ['a signature of another length', { signature: 'v0=abc' }, 'bad-signature'],
    ['a tampered body', { rawBody: Buffer.from('payload=%7B%7D') }, 'bad-signature'],
    ['an empty signing secret', { signingSecret: '' }, 'empty-secret'],
    ['a missing timestamp', { timestamp: undefined }, 'missing-header'],
    ['a missing signature', { signature: undefined }, 'missing-header'],
    ['a non-numeric timestamp', { timestamp: '17e8' }, 'malformed-timestamp'],
    ['a timestamp 301 s old', { nowSeconds: now + 301 }, 'stale'],
    ['a timestamp 301 s ahead', { nowSeconds: now - 301 }, 'future'],
  ])('rejects %s', (_, overrides, reason) => {
    expect(verifySlackSignature(request(overrides))).toEqual({ valid: false, reason });
  });

  it('accepts a timestamp exactly 300 s old or ahead', () => {
    expect(verifySlackSignature(request({ nowSeconds: now + 300 }))).toEqual({ valid: true });
    expect(verifySlackSignature(request({ nowSeconds: now - 300 }))).toEqual({ valid: true });
  });

  it('rejects a signature made with another secret', () => {
    const forged = signSlackRequest('another-secret', String(now), body);
    expect(verifySlackSignature(request({ signature: forged }))).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });
});
