import { describe, expect, it } from 'vitest';
import type { ElevationState } from '../../../functions/core/jit/types';
import {
  breakGlassBroadcast,
  elevationMessage,
  elevationRequestModal,
  JIT_ACTION_IDS,
  JIT_MODAL_FIELDS,
  JIT_REQUEST_CALLBACK_ID,
  type JitBlock,
  jitActionOf,
  jitButtonValue,
  parseJitButtonValue,
  readElevationForm,
  windowLength,
} from '../../../functions/core/slack/jit-messages';
import {
  APPROVER_A,
  anElevation,
  aProfile,
  GRANT_HASH,
  GRANT_ID,
  JIT_TEAM,
  REQUESTER,
  ROLE_ARN,
} from './jit-fixtures';

const STARTS = '<!date^1796292000^{date_short_pretty} {time}|2026-12-03T10:00:00.000Z>';
const ENDS = '<!date^1796295600^{date_short_pretty} {time}|2026-12-03T11:00:00.000Z>';

function allTexts(message: { text: string; blocks: JitBlock[] }): string[] {
  const texts = [message.text];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'text' && typeof inner === 'string') texts.push(inner);
        else walk(inner);
      }
    }
  };
  walk(message.blocks);
  return texts;
}

const buttons = (blocks: JitBlock[]) => blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
const header = (blocks: JitBlock[]) => (blocks[0]?.type === 'header' ? blocks[0].text.text : undefined);

describe('elevation message', () => {
  it('shows profile, principal, window, reason, requester, approvals, short hash and Approve / Reject', () => {
    const message = elevationMessage(anElevation());
    const [head, summary, reason, context, actions] = message.blocks;
    expect(message.blocks).toHaveLength(5);
    expect(head).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Elevation requested', emoji: true },
    });
    expect(summary).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: `<@${REQUESTER}> asks for \`admin\` on \`${ROLE_ARN}\`` },
      fields: [
        { type: 'mrkdwn', text: '*Profile*\n`admin`' },
        { type: 'mrkdwn', text: `*Principal*\n\`${ROLE_ARN}\`` },
        { type: 'mrkdwn', text: '*Account*\n`123456789012`' },
        { type: 'mrkdwn', text: `*Window*\n1h: ${STARTS} to ${ENDS}` },
        { type: 'mrkdwn', text: `*Requested by*\n<@${REQUESTER}>` },
        { type: 'mrkdwn', text: '*Approvals*\n0/2' },
      ],
    });
    expect(reason).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*Reason*\nRotate the database credentials after incident INC-42' },
    });
    expect(context).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Requested ${STARTS} · expires ${ENDS} · grant \`${GRANT_ID}\` · hash \`a1b2c3d4e5f6\``,
        },
      ],
    });
    expect(actions?.type).toBe('actions');
    const [approve, reject] = buttons(message.blocks);
    expect(approve).toMatchObject({
      action_id: 'iam_posture_jit_approve',
      value: `${GRANT_ID}.${GRANT_HASH}`,
      style: 'primary',
    });
    expect(approve?.confirm?.text.text).toBe(`\`admin\` on \`${ROLE_ARN}\` for 1h (hash \`a1b2c3d4e5f6\`).`);
    expect(reject).toMatchObject({ action_id: 'iam_posture_jit_reject', value: `${GRANT_ID}.${GRANT_HASH}` });
    expect(message.text).toBe(`Elevation requested: admin on ${ROLE_ARN} for 1h, approvals 0/2.`);
  });

  it('lists who approved so far', () => {
    const message = elevationMessage(
      anElevation({
        approvals: [
          {
            by: { kind: 'slack', id: APPROVER_A, teamId: JIT_TEAM },
            at: '2026-12-03T10:01:00Z',
            grantHash: GRANT_HASH,
          },
        ],
      }),
    );
    const summary = message.blocks[1];
    expect(summary?.type === 'section' && summary.fields?.[5]?.text).toBe(
      `*Approvals*\n1/2: <@${APPROVER_A}>`,
    );
    expect(message.text).toContain('approvals 1/2');
  });

  const STATES: { state: ElevationState; header: string; status: string | undefined; buttons: string[] }[] = [
    {
      state: 'requested',
      header: 'Elevation requested',
      status: undefined,
      buttons: ['iam_posture_jit_approve', 'iam_posture_jit_reject'],
    },
    {
      state: 'approved',
      header: 'Elevation approved',
      status: ':white_check_mark: Approved. The grant is being written.',
      buttons: ['iam_posture_jit_done'],
    },
    {
      state: 'granted',
      header: 'Elevation granted',
      status: `:unlock: Granted ${STARTS}. IAM stops honouring it ${ENDS} even if nothing removes it; Done ends it now.`,
      buttons: ['iam_posture_jit_done'],
    },
    {
      state: 'revoked',
      header: 'Elevation revoked',
      status: `:lock: Revoked <!date^1796293800^{date_short_pretty} {time}|2026-12-03T10:30:00.000Z> by <@${APPROVER_A}> (done). The grant policy is removed.`,
      buttons: [],
    },
    {
      state: 'rejected',
      header: 'Elevation rejected',
      status: `:no_entry_sign: Rejected by <@${APPROVER_A}>. Nothing was granted.`,
      buttons: [],
    },
    {
      state: 'lapsed',
      header: 'Elevation request lapsed',
      status: `:hourglass: Nobody approved it before ${ENDS}. Nothing was granted.`,
      buttons: [],
    },
    {
      state: 'failed',
      header: 'Elevation failed',
      status: ':x: Not granted: the principal &lt;gone&gt; no longer exists.',
      buttons: [],
    },
  ];

  it.each(STATES)(
    'renders state $state with its header, status and buttons',
    ({ state, header: title, status, buttons: ids }) => {
      const approver = { kind: 'slack' as const, id: APPROVER_A, teamId: JIT_TEAM };
      const message = elevationMessage(
        anElevation({
          state,
          grantedAt: '2026-12-03T10:00:00Z',
          revokedAt: '2026-12-03T10:30:00Z',
          revokedBy: approver,
          revokeReason: 'done',
          rejectedBy: approver,
          failureReason: 'the principal <gone> no longer exists',
        }),
      );
      expect(header(message.blocks)).toBe(title);
      const sections = message.blocks
        .filter((b) => b.type === 'section')
        .map((b) => (b.type === 'section' ? b.text.text : ''));
      if (status === undefined) expect(sections).toHaveLength(2);
      else expect(sections[2]).toBe(status);
      expect(buttons(message.blocks).map((b) => b.action_id)).toEqual(ids);
      const context = message.blocks.find((b) => b.type === 'context');
      expect(context?.type === 'context' && context.elements[0]?.text.includes('expires')).toBe(
        state === 'requested',
      );
    },
  );

  it('marks a break-glass request in the header, the summary and the fallback', () => {
    const message = elevationMessage(
      anElevation({ breakGlass: true, state: 'approved', requiredApprovals: 1 }),
    );
    expect(header(message.blocks)).toBe('Break-glass: Elevation approved');
    expect(
      message.blocks[1]?.type === 'section' && message.blocks[1].text.text.startsWith(':rotating_light: '),
    ).toBe(true);
    expect(message.text.startsWith('Break-glass: Elevation approved')).toBe(true);
    expect(allTexts(message).join('\n')).toContain('approved by the requester alone');
  });

  it('escapes what people typed and AWS named, and never lets it mention anyone', () => {
    const message = elevationMessage(
      anElevation({
        reason: '<!channel> deploy <https://evil.example|click> & fix',
        principalArn: 'arn:aws:iam::123456789012:role/a<b>&c',
        requestedBy: { kind: 'cli', id: 'arn:aws:sts::123456789012:assumed-role/x/<@U1>' },
      }),
    );
    for (const text of allTexts(message)) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<https://');
      expect(text).not.toContain('<@U1>');
      expect(text).not.toMatch(/a<b>/);
    }
    expect(allTexts(message).join('\n')).toContain(
      '&lt;!channel&gt; deploy &lt;https://evil.example|click&gt; &amp; fix',
    );
  });

  it('keeps every text within Slack limits for a long reason and ARN', () => {
    const message = elevationMessage(
      anElevation({
        reason: 'x'.repeat(5000),
        principalArn: `arn:aws:iam::123456789012:role/${'p'.repeat(2000)}`,
      }),
    );
    expect(message.text.length).toBeLessThanOrEqual(3000);
    for (const block of message.blocks) {
      if (block.type === 'section') {
        expect(block.text.text.length).toBeLessThanOrEqual(3000);
        for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
      }
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
    }
    const reason = message.blocks[2];
    expect(reason?.type === 'section' && reason.text.text.endsWith('…')).toBe(true);
    const value = buttons(message.blocks)[0]?.value ?? '';
    expect(value).toMatch(/^[A-Za-z0-9._-]{1,150}$/);
  });
});

describe('break-glass broadcast', () => {
  it('tells the channel at once who elevated what, with the reason', () => {
    const message = breakGlassBroadcast(
      anElevation({ breakGlass: true, state: 'approved', reason: 'Prod down <now>' }),
    );
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `<!here> :rotating_light: *Break-glass elevation*: <@${REQUESTER}> approved their own request for \`admin\` on \`${ROLE_ARN}\` for 1h.`,
      },
    });
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*Reason*\nProd down &lt;now&gt;' },
    });
    expect(message.text).toBe(
      `Break-glass elevation: admin on ${ROLE_ARN} for 1h, approved by the requester alone.`,
    );
    expect(buttons(message.blocks)).toEqual([]);
  });
});

describe('button values', () => {
  it('round-trips grant id and hash', () => {
    const value = jitButtonValue({ grantId: GRANT_ID, grantHash: GRANT_HASH });
    expect(parseJitButtonValue(value)).toEqual({ grantId: GRANT_ID, grantHash: GRANT_HASH });
  });

  it.each([
    ['no hash', GRANT_ID],
    ['short hash', `${GRANT_ID}.abc`],
    ['upper-case hash', `${GRANT_ID}.${GRANT_HASH.toUpperCase()}`],
    ['empty id', `.${GRANT_HASH}`],
    ['id with a slash', `a/b.${GRANT_HASH}`],
    ['id too long', `${'a'.repeat(65)}.${GRANT_HASH}`],
  ])('refuses a value with %s', (_why, value) => {
    expect(parseJitButtonValue(value)).toBeUndefined();
  });

  it('knows its own action ids and nothing else', () => {
    expect(jitActionOf('iam_posture_jit_done')).toBe('done');
    expect(jitActionOf('iam_posture_approve')).toBeUndefined();
    expect(Object.values(JIT_ACTION_IDS).every((id) => id.startsWith('iam_posture_jit_'))).toBe(true);
  });
});

describe('window length', () => {
  it.each([
    ['2026-12-03T10:00:00Z', '2026-12-03T10:45:00Z', '45m'],
    ['2026-12-03T10:00:00Z', '2026-12-03T12:00:00Z', '2h'],
    ['2026-12-03T10:00:00Z', '2026-12-03T11:30:00Z', '1h30m'],
    ['2026-12-03T10:00:00Z', 'not a time', 'an unreadable window'],
  ])('%s to %s is %s', (from, to, expected) => {
    expect(windowLength(from, to)).toBe(expected);
  });
});

describe('request modal', () => {
  it('offers the profiles, the principal, duration, reason and break-glass', () => {
    const view = elevationRequestModal(
      [
        aProfile(),
        aProfile({ name: 'read-only', description: 'Read\nonly', breakGlass: undefined, maxMinutes: 480 }),
      ],
      { privateMetadata: 'C0CHANNEL1', principalArn: ROLE_ARN },
    );
    expect(view.callback_id).toBe(JIT_REQUEST_CALLBACK_ID);
    expect(view.title.text).toBe('Request elevation');
    expect(view.private_metadata).toBe('C0CHANNEL1');
    expect(view.blocks.map((b) => b.block_id)).toEqual(Object.values(JIT_MODAL_FIELDS));
    const [profile, principal, duration] = view.blocks as {
      element: Record<string, unknown>;
      hint?: { text: string };
    }[];
    expect(profile?.element.options).toEqual([
      {
        text: { type: 'plain_text', text: 'admin', emoji: true },
        value: 'admin',
        description: { type: 'plain_text', text: 'Full administrator access', emoji: true },
      },
      {
        text: { type: 'plain_text', text: 'read-only', emoji: true },
        value: 'read-only',
        description: { type: 'plain_text', text: 'Read only', emoji: true },
      },
    ]);
    expect(principal?.element.initial_value).toBe(ROLE_ARN);
    expect(duration?.hint?.text).toBe('For example 30m, 1h or 1h30m. Caps: admin 4h, read-only 8h.');
    for (const block of view.blocks) {
      expect(String(block.block_id).startsWith('iam_posture_jit_')).toBe(true);
      expect(String((block.element as { action_id: string }).action_id).startsWith('iam_posture_jit_')).toBe(
        true,
      );
    }
  });

  it('leaves break-glass out when no profile offers it', () => {
    const view = elevationRequestModal([aProfile({ breakGlass: undefined })]);
    expect(view.blocks.map((b) => b.block_id)).not.toContain(JIT_MODAL_FIELDS.breakGlass);
  });

  it('cuts long descriptions to what an option holds', () => {
    const view = elevationRequestModal([aProfile({ description: 'd'.repeat(200) })]);
    const element = view.blocks[0]?.element as { options: { description: { text: string } }[] };
    const options = element.options;
    expect(options[0]?.description.text.length).toBe(75);
  });
});

describe('reading the modal', () => {
  const values = (input: {
    profile?: string;
    principal?: string;
    duration?: string;
    reason?: string;
    breakGlass?: boolean;
  }) => ({
    [JIT_MODAL_FIELDS.profile]: {
      [JIT_MODAL_FIELDS.profile]: {
        type: 'static_select',
        selected_option: input.profile ? { value: input.profile } : null,
      },
    },
    [JIT_MODAL_FIELDS.principal]: {
      [JIT_MODAL_FIELDS.principal]: { type: 'plain_text_input', value: input.principal ?? null },
    },
    [JIT_MODAL_FIELDS.duration]: {
      [JIT_MODAL_FIELDS.duration]: { type: 'plain_text_input', value: input.duration ?? null },
    },
    [JIT_MODAL_FIELDS.reason]: {
      [JIT_MODAL_FIELDS.reason]: { type: 'plain_text_input', value: input.reason ?? null },
    },
    [JIT_MODAL_FIELDS.breakGlass]: {
      [JIT_MODAL_FIELDS.breakGlass]: {
        type: 'checkboxes',
        selected_options: input.breakGlass ? [{ value: 'break-glass' }] : [],
      },
    },
  });

  it('returns the trimmed values and the break-glass choice', () => {
    expect(
      readElevationForm(
        values({
          profile: 'admin',
          principal: ` ${ROLE_ARN} `,
          duration: '1h',
          reason: ' fix ',
          breakGlass: true,
        }),
      ),
    ).toEqual({
      ok: true,
      form: { profile: 'admin', principalArn: ROLE_ARN, duration: '1h', reason: 'fix', breakGlass: true },
    });
    expect(
      readElevationForm(values({ profile: 'admin', principal: ROLE_ARN, duration: '1h', reason: 'fix' })),
    ).toMatchObject({
      ok: true,
      form: { breakGlass: false },
    });
  });

  it('names every missing field', () => {
    expect(readElevationForm(values({ reason: '   ' }))).toEqual({
      ok: false,
      errors: {
        iam_posture_jit_profile: 'Choose a profile.',
        iam_posture_jit_principal: 'Enter the ARN of the role or user.',
        iam_posture_jit_duration: 'Enter a duration, for example 1h.',
        iam_posture_jit_reason: 'Say why the elevation is needed.',
      },
    });
    expect(readElevationForm({})).toMatchObject({ ok: false });
  });

  it('refuses a reason longer than the modal allows', () => {
    const result = readElevationForm(
      values({ profile: 'admin', principal: ROLE_ARN, duration: '1h', reason: 'r'.repeat(501) }),
    );
    expect(result).toEqual({
      ok: false,
      errors: { iam_posture_jit_reason: 'A reason is at most 500 characters.' },
    });
  });
});
