import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  EmptySecretError,
  PLACEHOLDER_KEY,
  SecretNotAllowedError,
  SecretReadError,
  SecretReader,
} from '../../../functions/adapters/secret-reader';

const SIGNING =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:iam-posture/slack-signing-secret-AbCdEf';
const TOKEN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:iam-posture/slack-bot-token-GhIjKl';
const OTHER = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-MnOpQr';

const sm = mockClient(SecretsManagerClient);

describe('SecretReader', () => {
  const reader = () =>
    new SecretReader(new SecretsManagerClient({ region: 'eu-west-1' }), [SIGNING, TOKEN], {
      maxAgeSeconds: 60,
    });
  const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

  beforeEach(() => {
    sm.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-06-01T12:00:00Z'));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads each allowed secret once and reuses the value within the cache period', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SIGNING }).resolves({ SecretString: 'signing-secret' });
    sm.on(GetSecretValueCommand, { SecretId: TOKEN }).resolves({ SecretString: 'xoxb-token\n' });
    const r = reader();
    expect(await r.read(SIGNING)).toBe('signing-secret');
    expect(await r.read(TOKEN)).toBe('xoxb-token');
    advance(59_999);
    expect(await r.read(SIGNING)).toBe('signing-secret');
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      SIGNING,
      TOKEN,
    ]);
  });

  it('reads again once the cache period is over, so a new value takes effect without a redeploy', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'new' });
    const r = reader();
    expect(await r.read(SIGNING)).toBe('old');
    advance(60_001);
    expect(await r.read(SIGNING)).toBe('new');
  });

  it('shares one request between concurrent reads', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'signing-secret' });
    const r = reader();
    expect(await Promise.all([r.read(SIGNING), r.read(SIGNING), r.read(SIGNING)])).toEqual([
      'signing-secret',
      'signing-secret',
      'signing-secret',
    ]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('never reads a secret it was not built for', async () => {
    const r = reader();
    await expect(r.read(OTHER)).rejects.toBeInstanceOf(SecretNotAllowedError);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it.each([
    ['an empty string', { SecretString: '' }],
    ['whitespace', { SecretString: '  \n' }],
    ['no string (a binary secret)', { SecretBinary: new Uint8Array([1, 2]) }],
    ['the placeholder the stack creates', { SecretString: JSON.stringify({ [PLACEHOLDER_KEY]: 'x7Yz' }) }],
  ])('refuses %s, and reads again next time', async (_, output) => {
    sm.on(GetSecretValueCommand).resolvesOnce(output).resolves({ SecretString: 'now-set' });
    const r = reader();
    const error = await r.read(SIGNING).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmptySecretError);
    expect((error as Error).message).toBe(
      `secret ${SIGNING} holds no value yet; store it with aws secretsmanager put-secret-value --secret-id ${SIGNING}`,
    );
    expect(await r.read(SIGNING)).toBe('now-set');
  });

  it('accepts a JSON value that is not the placeholder', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"xoxb-1"}' });
    expect(await reader().read(TOKEN)).toBe('{"token":"xoxb-1"}');
  });

  it('wraps a failed read, keeping the cause and no value', async () => {
    const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    sm.on(GetSecretValueCommand).rejects(denied);
    const error = await reader()
      .read(SIGNING)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect((error as Error).message).toBe(`secret ${SIGNING} could not be read (AccessDeniedException)`);
    expect((error as Error).cause).toBe(denied);
  });
});
