import { describe, expect, it } from 'vitest';
import { breakGlassBroadcast, elevationMessage } from '../../../functions/core/slack/jit-messages';
import { announceElevation, elevationAnnouncer } from '../../../functions/use-cases/announce-elevation';
import { anElevation, GRANT_ID, JIT_CHANNEL, MemoryJitStore, RecordingMessenger } from './jit-fixtures';

const setup = (request = anElevation()) => {
  const store = new MemoryJitStore([request]);
  const slack = new RecordingMessenger();
  return { store, slack, deps: { store, slack, channel: JIT_CHANNEL } };
};

describe('announcing a grant in Slack', () => {
  it('posts the first message to the JIT channel and records where it is', async () => {
    const { store, slack, deps } = setup();
    const outcome = await announceElevation(GRANT_ID, deps);
    expect(outcome).toEqual({
      outcome: 'posted',
      slack: { channel: JIT_CHANNEL, ts: '1796292000.000001' },
      broadcast: false,
    });
    expect(slack.posts).toEqual([{ channel: JIT_CHANNEL, message: elevationMessage(anElevation()) }]);
    expect((await store.get(GRANT_ID))?.slack).toEqual({ channel: JIT_CHANNEL, ts: '1796292000.000001' });
  });

  it('updates the recorded message in place once it exists', async () => {
    const ref = { channel: 'C0ELSEWHER', ts: '1796000000.000100' };
    const granted = anElevation({ state: 'granted', grantedAt: '2026-12-03T10:02:00Z', slack: ref });
    const { slack, deps } = setup(granted);
    expect(await announceElevation(GRANT_ID, deps)).toEqual({ outcome: 'updated', slack: ref });
    expect(slack.posts).toEqual([]);
    expect(slack.updates).toEqual([{ ref, message: elevationMessage(granted) }]);
  });

  it('broadcasts a break-glass request before posting its message, once', async () => {
    const request = anElevation({ breakGlass: true, state: 'approved', requiredApprovals: 1 });
    const { slack, deps } = setup(request);
    expect(await announceElevation(GRANT_ID, deps)).toMatchObject({ outcome: 'posted', broadcast: true });
    expect(slack.posts.map((p) => p.message)).toEqual([
      breakGlassBroadcast(request),
      elevationMessage(request),
    ]);
    await announceElevation(GRANT_ID, deps);
    expect(slack.posts).toHaveLength(2);
    expect(slack.updates).toHaveLength(1);
  });

  it('reports an unknown grant without calling Slack', async () => {
    const { slack, deps } = setup();
    expect(await announceElevation('no-such-grant', deps)).toEqual({ outcome: 'unknown-grant' });
    expect(slack.posts).toEqual([]);
  });

  it('throws when Slack refuses the post, so the event is retried, and records nothing', async () => {
    const { store, slack, deps } = setup();
    slack.failPost = true;
    await expect(announceElevation(GRANT_ID, deps)).rejects.toThrow('channel_not_found');
    expect(store.slackWrites).toEqual([]);
  });
});

describe('the JIT function’s announcer', () => {
  it('leaves a new Slack request to the interaction endpoint', async () => {
    const { slack, deps } = setup();
    expect(await elevationAnnouncer(deps).announce(GRANT_ID)).toEqual({ outcome: 'left-to-interaction' });
    expect(slack.posts).toEqual([]);
  });

  it('leaves a new Slack break-glass request to the endpoint too', async () => {
    const { slack, deps } = setup(anElevation({ breakGlass: true, state: 'approved', requiredApprovals: 1 }));
    expect(await elevationAnnouncer(deps).announce(GRANT_ID)).toEqual({ outcome: 'left-to-interaction' });
    expect(slack.posts).toEqual([]);
  });

  it('posts a request made on the command line', async () => {
    const cli = anElevation({
      requestedBy: { kind: 'cli', id: 'arn:aws:sts::123456789012:assumed-role/ops/alice' },
    });
    const { slack, deps } = setup(cli);
    expect(await elevationAnnouncer(deps).announce(GRANT_ID)).toMatchObject({ outcome: 'posted' });
    expect(slack.posts).toHaveLength(1);
  });

  it('posts a Slack request whose message is missing once it has moved on', async () => {
    const { slack, deps } = setup(anElevation({ state: 'granted', grantedAt: '2026-12-03T10:02:00Z' }));
    expect(await elevationAnnouncer(deps).announce(GRANT_ID)).toMatchObject({ outcome: 'posted' });
    expect(slack.posts).toHaveLength(1);
  });
});
