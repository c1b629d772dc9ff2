import { describe, expect, it } from 'vitest';
import { MAX_ENVELOPE_BYTES, parseSlackEnvelope } from '../../../functions/core/slack/envelope';
import {
  APPROVER,
  blockActions,
  CHANNEL,
  formBody,
  MESSAGE_TS,
  slashCommandBody,
  TEAM,
  viewSubmission,
} from './fixtures';

describe('parseSlackEnvelope', () => {
  it('reads a button click with its action id, value, message and trigger', () => {
    const parsed = parseSlackEnvelope(
      formBody(blockActions({ actionId: 'iam_posture_jit_approve', requestId: 'g1.abc' })),
    );
    expect(parsed).toMatchObject({
      ok: true,
      envelope: {
        kind: 'block_actions',
        teamId: TEAM,
        userId: APPROVER,
        actionId: 'iam_posture_jit_approve',
        value: 'g1.abc',
        channelId: CHANNEL,
        messageTs: MESSAGE_TS,
        triggerId: '123.456.abc',
      },
    });
  });

  it('reads a submitted modal with its callback id, metadata and input values', () => {
    const values = { reason: { reason_input: { type: 'plain_text_input', value: 'deploy fix' } } };
    const parsed = parseSlackEnvelope(
      formBody(viewSubmission({ callbackId: 'iam_posture_jit_request', values, privateMetadata: 'meta' })),
    );
    expect(parsed).toEqual({
      ok: true,
      envelope: expect.objectContaining({
        kind: 'view_submission',
        callbackId: 'iam_posture_jit_request',
        privateMetadata: 'meta',
        values,
        triggerId: '123.456.def',
      }),
    });
  });

  it('reads a slash command with its text and trigger', () => {
    const parsed = parseSlackEnvelope(slashCommandBody({ command: '/elevate', text: 'admin 1h' }));
    expect(parsed).toEqual({
      ok: true,
      envelope: {
        kind: 'slash_command',
        teamId: TEAM,
        userId: APPROVER,
        channelId: CHANNEL,
        command: '/elevate',
        text: 'admin 1h',
        triggerId: '123.456.ghi',
        responseUrl: `https://hooks.slack.com/commands/${TEAM}/1/abc`,
      },
    });
  });

  it.each([
    { name: 'a body that is neither form', body: 'hello=1', reason: 'neither an interaction payload' },
    { name: 'a payload that is not JSON', body: 'payload=%7Bnope', reason: 'not valid JSON' },
    {
      name: 'an interaction type we do not answer',
      body: formBody({ type: 'message_action' }).toString(),
      reason: 'type: must be block_actions or view_submission',
    },
    {
      name: 'a click by a malformed user id',
      body: formBody({ ...blockActions(), user: { id: 'nobody' } }).toString(),
      reason: 'user.id',
    },
    {
      name: 'a click carrying two actions',
      body: formBody({
        ...blockActions(),
        actions: [blockActions().actions[0], blockActions().actions[0]],
      }).toString(),
      reason: 'actions: must hold exactly one action',
    },
    {
      name: 'a slash command without a trigger id',
      body: slashCommandBody({ command: '/elevate' })
        .toString()
        .replace(/&trigger_id=[^&]*/, ''),
      reason: 'trigger_id',
    },
    {
      name: 'a slash command with a malformed name',
      body: slashCommandBody({ command: 'elevate' }).toString(),
      reason: 'command: must be a slash command',
    },
  ])('refuses $name, naming where', ({ body, reason }) => {
    const parsed = parseSlackEnvelope(body);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });

  it('refuses a body over the size bound before parsing it', () => {
    const parsed = parseSlackEnvelope(`payload=${'x'.repeat(MAX_ENVELOPE_BYTES)}`);
    expect(parsed).toEqual({ ok: false, reason: `the body is larger than ${MAX_ENVELOPE_BYTES} bytes` });
  });
});
