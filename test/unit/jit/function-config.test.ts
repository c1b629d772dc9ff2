import { describe, expect, it } from 'vitest';
import { JitDeploySchema } from '../../../functions/core/jit/config';
import {
  JIT_ENV_KEYS,
  JitConfigError,
  jitConfigured,
  jitFunctionEnvironment,
  parseJitFunctionConfig,
} from '../../../functions/core/jit/function-config';
import { ACCOUNT, ALICE, BOB, READ_LOGS } from './builders';

const deployConfig = JitDeploySchema.parse({
  profiles: [
    {
      name: 'logs-reader',
      statements: READ_LOGS,
      eligible: [`arn:aws:iam::${ACCOUNT}:role/ops-*`],
      maxDuration: '2h',
      approvers: [ALICE, BOB],
      breakGlass: { maxDuration: '30m' },
    },
  ],
  requestTtl: '45m',
});

const PROFILE = {
  name: 'logs-reader',
  statements: READ_LOGS,
  eligible: [`arn:aws:iam::${ACCOUNT}:role/ops-*`],
  maxMinutes: 120,
  approvers: [ALICE, BOB],
  approvals: 1,
  breakGlass: { maxMinutes: 30 },
};

describe('the just-in-time function environment', () => {
  it('is written from the deploy config and read back as the same profiles', () => {
    const env = jitFunctionEnvironment({ ...deployConfig, channelId: 'C0123ABCD' });
    expect(env).toEqual({
      JIT_PROFILES: JSON.stringify([PROFILE]),
      JIT_SLASH_COMMAND: '/elevate',
      JIT_CHANNEL_ID: 'C0123ABCD',
      JIT_REQUEST_TTL_MINUTES: '45',
    });
    expect(Object.keys(env).sort()).toEqual(Object.values(JIT_ENV_KEYS).sort());
    expect(jitConfigured(env)).toBe(true);
    expect(parseJitFunctionConfig(env)).toEqual({
      profiles: [PROFILE],
      slashCommand: '/elevate',
      channelId: 'C0123ABCD',
      requestTtlMinutes: 45,
    });
  });

  it('leaves the channel out when there is none, and is not configured without profiles', () => {
    const env = jitFunctionEnvironment(deployConfig);
    expect(env.JIT_CHANNEL_ID).toBeUndefined();
    expect(parseJitFunctionConfig(env).channelId).toBeUndefined();
    expect(jitConfigured({})).toBe(false);
  });

  it.each([
    [{ JIT_PROFILES: undefined }, 'JIT_PROFILES: '],
    [{ JIT_PROFILES: '[{' }, 'JIT_PROFILES: is not valid JSON'],
    [{ JIT_PROFILES: JSON.stringify([{ ...PROFILE, maxMinutes: 0 }]) }, 'JIT_PROFILES.0.maxMinutes: '],
    [{ JIT_PROFILES: JSON.stringify([{ ...PROFILE, maxMinutes: 721 }]) }, 'JIT_PROFILES.0.maxMinutes: '],
    [{ JIT_PROFILES: JSON.stringify([{ ...PROFILE, approvers: [] }]) }, 'JIT_PROFILES.0.approvers: '],
    [
      { JIT_PROFILES: JSON.stringify([{ ...PROFILE, statements: undefined }]) },
      'JIT_PROFILES.0: must have exactly one',
    ],
    [{ JIT_PROFILES: JSON.stringify([PROFILE, PROFILE]) }, 'JIT_PROFILES: names a profile twice'],
    [{ JIT_PROFILES: JSON.stringify([{ ...PROFILE, extra: 1 }]) }, 'JIT_PROFILES.0: '],
    [{ JIT_SLASH_COMMAND: 'elevate' }, 'JIT_SLASH_COMMAND: must be a Slack slash command'],
    [{ JIT_CHANNEL_ID: 'ops' }, 'JIT_CHANNEL_ID: must be a Slack channel id'],
    [{ JIT_REQUEST_TTL_MINUTES: '1h' }, 'JIT_REQUEST_TTL_MINUTES: must be a whole number of minutes'],
    [{ JIT_REQUEST_TTL_MINUTES: '1441' }, 'JIT_REQUEST_TTL_MINUTES: '],
  ])('names the variable of a bad value %j', (change, issue) => {
    const env = { ...jitFunctionEnvironment(deployConfig), ...change };
    let error: unknown;
    try {
      parseJitFunctionConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JitConfigError);
    expect((error as JitConfigError).name).toBe('JitConfigError');
    expect((error as JitConfigError).issues.some((i) => i.startsWith(issue))).toBe(true);
  });
});
