import { describe, expect, it } from 'vitest';
import type { SlackEnvelope } from '../../../functions/core/slack/envelope';
import { routeSlackRequest, type SlackRoute } from '../../../functions/use-cases/slack-router';
import { blockActions, formBody, SIGNING_SECRET, signedHeaders, slashCommandBody } from './fixtures';

const NOW = new Date('2024-06-01T00:01:40Z');
const SECONDS = Math.floor(NOW.getTime() / 1000);

/** A route that claims envelopes by a predicate and records what it was handed. */
function recordingRoute(name: string, claims: (envelope: SlackEnvelope) => boolean) {
  const seen: { envelope: SlackEnvelope; retry: boolean }[] = [];
  const route: SlackRoute = {
    name,
    matches: claims,
    handle: async (envelope, context) => {
      seen.push({ envelope, retry: context.retry });
      return { statusCode: 200, outcome: name, warnings: [] };
    },
  };
  return { route, seen };
}

function deps(routes: SlackRoute[], secret = SIGNING_SECRET) {
  return { signingSecret: async () => secret, routes, now: () => NOW };
}

describe('routeSlackRequest', () => {
  const jit = recordingRoute('jit', (e) => e.kind === 'slash_command' && e.command === '/elevate');
  const buttons = recordingRoute('buttons', (e) => e.kind === 'block_actions');

  it('hands a signed slash command to the route that claims it, and a click to its own', async () => {
    const command = slashCommandBody({ command: '/elevate' });
    const click = formBody(blockActions());
    const first = await routeSlackRequest(
      { rawBody: command, headers: signedHeaders(command, SECONDS) },
      deps([buttons.route, jit.route]),
    );
    const second = await routeSlackRequest(
      { rawBody: click, headers: { ...signedHeaders(click, SECONDS), 'x-slack-retry-num': '1' } },
      deps([buttons.route, jit.route]),
    );
    expect([first.outcome, second.outcome]).toEqual(['jit', 'buttons']);
    expect(jit.seen.map((s) => s.envelope.kind)).toEqual(['slash_command']);
    expect(buttons.seen.map((s) => s.retry)).toEqual([true]);
  });

  it('refuses a body no route claims as not ours, naming what it was', async () => {
    const command = slashCommandBody({ command: '/unknown' });
    const answer = await routeSlackRequest(
      { rawBody: command, headers: signedHeaders(command, SECONDS) },
      deps([jit.route]),
    );
    expect(answer).toMatchObject({
      statusCode: 400,
      outcome: 'malformed',
      detail: expect.stringContaining('/unknown'),
    });
  });

  it('checks the signature before anything is parsed or routed', async () => {
    const seen = recordingRoute('any', () => true);
    const command = slashCommandBody({ command: '/elevate' });
    const answer = await routeSlackRequest(
      { rawBody: command, headers: signedHeaders(command, SECONDS, 'another-secret') },
      deps([seen.route]),
    );
    expect(answer).toMatchObject({ statusCode: 401, outcome: 'bad-signature' });
    expect(seen.seen).toHaveLength(0);
    const garbage = Buffer.from('not a slack body');
    const unsigned = await routeSlackRequest({ rawBody: garbage, headers: {} }, deps([seen.route]));
    expect(unsigned.statusCode).toBe(401);
  });

  it('refuses every request while no signing secret is stored', async () => {
    const seen = recordingRoute('any', () => true);
    const command = slashCommandBody({ command: '/elevate' });
    const answer = await routeSlackRequest(
      { rawBody: command, headers: signedHeaders(command, SECONDS) },
      deps([seen.route], ''),
    );
    expect(answer).toMatchObject({ statusCode: 401, detail: 'no signing secret is stored' });
    expect(seen.seen).toHaveLength(0);
  });
});
