import { describe, expect, it } from 'vitest';
import type { RemediationRequest, RequestState } from '../../../functions/core/remediation/request';
import {
  ACTIONS_BLOCK_ID,
  approvalRequestMessage,
  type Block,
  describeStepForSlack,
  escapeMrkdwn,
  evidenceHighlights,
  refusalMessage,
  requestMessage,
  SLACK_ACTION_IDS,
  slackActionOf,
} from '../../../functions/core/slack/messages';
import { aRequest, REQUEST_ID } from './fixtures';

const ARN = 'arn:aws:iam::123456789012:user/ci/deploy-bot';
/** `<!date^…>` of 2024-06-01T00:00:00Z and 2024-06-02T00:00:00Z. */
const CREATED = '<!date^1717200000^{date_short_pretty} {time}|2024-06-01T00:00:00.000Z>';
const EXPIRES = '<!date^1717286400^{date_short_pretty} {time}|2024-06-02T00:00:00.000Z>';

/** Every text of a message (blocks, fields, confirm dialogs, fallback), to search for unescaped values. */
function allTexts(message: { text: string; blocks: Block[] }): string[] {
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

function buttons(blocks: Block[]) {
  return blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []));
}

describe('approval request message', () => {
  it('shows the finding, evidence, plan, requester and expiry, with Approve and Reject', () => {
    const message = approvalRequestMessage(aRequest());
    expect(message.blocks).toHaveLength(7);
    const [header, finding, why, evidence, plan, context, actions] = message.blocks;
    expect(header).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Remediation approval requested', emoji: true },
    });
    expect(finding).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: ':large_yellow_circle: *Active access keys are used within the unused-key window*',
      },
      fields: [
        { type: 'mrkdwn', text: '*Severity*\nmedium' },
        { type: 'mrkdwn', text: '*Rule*\n`access-key-unused`' },
        { type: 'mrkdwn', text: `*Resource*\n\`${ARN}\`\n\`AKIAEXAMPLEKEY000001\`` },
        { type: 'mrkdwn', text: '*Account*\n`123456789012`' },
      ],
    });
    expect(why).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*Why*\nActive access key AKIAEXAMPLEKEY000001 of user deploy-bot was last used 120 days ago.',
      },
    });
    expect(evidence).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*Evidence*\n• idleDays: 120\n• lastUsedAt: 2024-02-01T00:00:00.000Z\n• lastUsedService: s3',
      },
    });
    expect(plan).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*Plan*: Deactivate access key AKIAEXAMPLEKEY000001 of user deploy-bot.\n1. Deactivate access key `AKIAEXAMPLEKEY000001` of user `deploy-bot`',
      },
    });
    expect(context).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Requested by iam-posture ${CREATED} · expires ${EXPIRES} · request \`${REQUEST_ID}\``,
        },
      ],
    });
    expect(actions).toMatchObject({ type: 'actions', block_id: ACTIONS_BLOCK_ID });
    const [approve, reject] = buttons(message.blocks);
    expect(approve).toMatchObject({
      type: 'button',
      action_id: 'iam_posture_approve',
      text: { type: 'plain_text', text: 'Approve' },
      value: REQUEST_ID,
      style: 'primary',
      confirm: {
        title: { type: 'plain_text', text: 'Approve this remediation?' },
        confirm: { type: 'plain_text', text: 'Approve' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    });
    expect(approve?.confirm?.text.text).toContain(
      'Deactivate access key AKIAEXAMPLEKEY000001 of user deploy-bot.',
    );
    expect(reject).toEqual({
      type: 'button',
      action_id: 'iam_posture_reject',
      text: { type: 'plain_text', text: 'Reject', emoji: true },
      value: REQUEST_ID,
      style: 'danger',
    });
  });

  it('carries nothing but the request id in a button value', () => {
    const approvedBy = { kind: 'slack' as const, id: 'U0APPROVER', teamId: 'T0TEAM0001' };
    const shown = [
      ...buttons(requestMessage(aRequest({ state: 'pending' })).blocks),
      ...buttons(requestMessage(aRequest({ state: 'executed', approvedBy })).blocks),
    ];
    // Approve and Reject, then Undo.
    expect(shown).toHaveLength(3);
    for (const button of shown) expect(button.value).toBe(REQUEST_ID);
  });

  it('has a plain-text fallback naming the finding and the plan', () => {
    expect(approvalRequestMessage(aRequest()).text).toBe(
      `Remediation approval requested: Active access keys are used within the unused-key window (medium) on ${ARN} in account 123456789012. Plan: Deactivate access key AKIAEXAMPLEKEY000001 of user deploy-bot.`,
    );
  });

  it('leaves out the evidence section when the request has no highlights', () => {
    const message = approvalRequestMessage(aRequest({ highlights: undefined }));
    expect(message.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'context',
      'actions',
    ]);
    expect(JSON.stringify(message.blocks)).not.toContain('*Evidence*');
  });

  it('refuses to render a request that is no longer pending as an approval request', () => {
    expect(() => approvalRequestMessage(aRequest({ state: 'approved' }))).toThrow(/is approved, not pending/);
  });

  it('shows at most ten steps and counts the rest', () => {
    const steps = Array.from({ length: 12 }, (_, i) => ({
      action: 'detach-managed-policy' as const,
      principalType: 'role' as const,
      principalName: 'old-admin',
      policyArn: `arn:aws:iam::123456789012:policy/p${i}`,
    }));
    const request = aRequest({ plan: { ...aRequest().plan, steps, summary: 'Remove 12 policies.' } });
    const plan = requestMessage(request).blocks.find(
      (b) => b.type === 'section' && b.text.text.startsWith('*Plan*'),
    );
    const text = plan?.type === 'section' ? plan.text.text : '';
    expect(text.split('\n')).toHaveLength(12);
    expect(text).toContain(
      '10. Detach managed policy `arn:aws:iam::123456789012:policy/p9` from role `old-admin`',
    );
    expect(text).not.toContain('policy/p10');
    expect(text.endsWith('… and 2 more steps')).toBe(true);
  });
});

describe('escaping', () => {
  const hostile = 'x <!channel> & <https://evil.example|click> <@U0BOSS>';

  it('escapes &, < and > in every value that comes from AWS', () => {
    const request = aRequest({
      resourceArn: `arn:aws:iam::123456789012:role/${hostile}`,
      highlights: { [hostile]: hostile },
      plan: {
        ...aRequest().plan,
        summary: hostile,
        steps: [
          {
            action: 'delete-inline-policy',
            principalType: 'role',
            principalName: hostile,
            policyName: hostile,
          },
        ],
      },
      finding: {
        ...aRequest().finding,
        title: hostile,
        reason: hostile,
        resourceArn: `arn:aws:iam::123456789012:role/${hostile}`,
        subResource: hostile,
      },
      outcomeReason: hostile,
    });
    for (const state of ['pending', 'failed', 'refused', 'expired'] as RequestState[]) {
      const texts = allTexts(requestMessage({ ...request, state }));
      const joined = texts.join('\n');
      expect(joined).toContain('x &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &lt;@U0BOSS&gt;');
      expect(joined).not.toContain('<!channel>');
      expect(joined).not.toContain('<https://evil.example');
      expect(joined).not.toContain('<@U0BOSS>');
    }
  });

  it('escapes the three control characters and nothing else', () => {
    expect(escapeMrkdwn('a&b<c>d *e* _f_ `g`')).toBe('a&amp;b&lt;c&gt;d *e* _f_ `g`');
  });

  it('names a command-line actor as escaped text, never as a mention', () => {
    const message = requestMessage(
      aRequest({
        state: 'approved',
        approvedBy: { kind: 'cli', id: '<!here>', name: '<!here>' },
        approvedAt: '2024-06-01T01:00:00.000Z',
      }),
    );
    expect(allTexts(message).join('\n')).toContain('&lt;!here&gt; (command line)');
    expect(allTexts(message).join('\n')).not.toContain('<!here>');
  });

  it('cuts a section longer than Slack accepts without leaving half an escape', () => {
    const reason = `${'a'.repeat(2993)}&<>`;
    const why = requestMessage(aRequest({ finding: { ...aRequest().finding, reason } })).blocks[2];
    const text = why?.type === 'section' ? why.text.text : '';
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text.endsWith('…')).toBe(true);
    expect(text).not.toMatch(/&[a-z]*…$/);
  });
});

describe('outcome updates', () => {
  const at = '2024-06-01T02:00:00.000Z';
  const AT = '<!date^1717207200^{date_short_pretty} {time}|2024-06-01T02:00:00.000Z>';
  const approver = { kind: 'slack' as const, id: 'U0APPROVER', teamId: 'T0TEAM0001' };

  function statusOf(request: RemediationRequest, options = {}): { header: string; status?: string } {
    const message = requestMessage(request, options);
    const header = message.blocks[0]?.type === 'header' ? message.blocks[0].text.text : '';
    const context = message.blocks.findIndex((b) => b.type === 'context');
    const before = message.blocks[context - 1];
    const status =
      before?.type === 'section' && !before.text.text.startsWith('*Plan*') ? before.text.text : undefined;
    return { header, ...(status !== undefined ? { status } : {}) };
  }

  it.each<[string, Partial<RemediationRequest>, string, string]>([
    [
      'approved',
      { state: 'approved', approvedBy: approver, approvedAt: at },
      'Remediation approved',
      `:white_check_mark: Approved by <@U0APPROVER> ${AT}. The remediation re-checks the live state before it acts.`,
    ],
    [
      'rejected',
      { state: 'rejected', rejectedBy: approver, decidedAt: at },
      'Remediation rejected',
      `:no_entry_sign: Rejected by <@U0APPROVER> ${AT}. Nothing was changed.`,
    ],
    [
      'executing',
      { state: 'executing', approvedBy: approver },
      'Remediation in progress',
      ':gear: Approved by <@U0APPROVER>; executing now.',
    ],
    [
      'executed',
      { state: 'executed', approvedBy: approver, executedAt: at },
      'Remediation executed',
      `:white_check_mark: Executed ${AT}, approved by <@U0APPROVER>. Undo restores the recorded before-state.`,
    ],
    [
      'refused',
      { state: 'refused', outcomeReason: 'Rule access-key-unused now passes.' },
      'Remediation refused',
      ':no_entry: Not executed. Rule access-key-unused now passes.',
    ],
    [
      'failed',
      { state: 'failed', outcomeReason: 'Step 1 of 1 failed: AccessDenied.' },
      'Remediation failed',
      ':x: Failed. Step 1 of 1 failed: AccessDenied.',
    ],
    [
      'expired',
      { state: 'expired' },
      'Remediation request expired',
      `:hourglass: Expired <!date^1717286400^{date_short_pretty} {time}|2024-06-02T00:00:00.000Z> before it was executed. Nothing was changed.`,
    ],
    [
      'rolled back',
      { state: 'rolled-back', rolledBackBy: approver, rolledBackAt: at },
      'Remediation rolled back',
      `:leftwards_arrow_with_hook: Rolled back by <@U0APPROVER> ${AT}: the recorded before-state is restored.`,
    ],
  ])('shows %s with its outcome line', (_, overrides, header, status) => {
    expect(statusOf(aRequest(overrides))).toEqual({ header, status });
  });

  it('removes the buttons once the request is decided, except Undo on an executed request', () => {
    const states: RequestState[] = [
      'approved',
      'rejected',
      'expired',
      'executing',
      'failed',
      'refused',
      'rolled-back',
    ];
    for (const state of states) {
      expect(buttons(requestMessage(aRequest({ state })).blocks), state).toEqual([]);
    }
    const executed = buttons(requestMessage(aRequest({ state: 'executed', approvedBy: approver })).blocks);
    expect(executed).toHaveLength(1);
    expect(executed[0]).toMatchObject({
      action_id: 'iam_posture_undo',
      value: REQUEST_ID,
      text: { type: 'plain_text', text: 'Undo' },
      confirm: { style: 'danger', confirm: { text: 'Undo' } },
    });
  });

  it('does not offer Undo again once a rollback is requested', () => {
    const request = aRequest({ state: 'executed', approvedBy: approver, executedAt: at });
    const options = {
      rollbackRequestedBy: { kind: 'slack' as const, id: 'U0APPROVE2', teamId: 'T0TEAM0001' },
    };
    expect(buttons(requestMessage(request, options).blocks)).toEqual([]);
    expect(statusOf(request, options).status).toBe(
      `:leftwards_arrow_with_hook: Rollback requested by <@U0APPROVE2>. Executed ${AT}, approved by <@U0APPROVER>.`,
    );
  });

  it('drops the expiry from the context once decided', () => {
    const context = requestMessage(aRequest({ state: 'rejected', rejectedBy: approver })).blocks.find(
      (b) => b.type === 'context',
    );
    expect(context).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Requested by iam-posture ${CREATED} · request \`${REQUEST_ID}\`` }],
    });
  });

  it('puts the outcome in the fallback text', () => {
    expect(requestMessage(aRequest({ state: 'failed', outcomeReason: 'Boom.' })).text).toBe(
      `Remediation failed: Active access keys are used within the unused-key window (medium) on ${ARN} in account 123456789012. :x: Failed. Boom.`,
    );
  });
});

describe('steps', () => {
  it.each([
    [
      { action: 'deactivate-access-key', userName: 'bot', accessKeyId: 'AKIA1' },
      'Deactivate access key `AKIA1` of user `bot`',
    ],
    [
      {
        action: 'detach-managed-policy',
        principalType: 'user',
        principalName: 'ops',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      },
      'Detach managed policy `arn:aws:iam::aws:policy/AdministratorAccess` from user `ops`',
    ],
    [
      { action: 'delete-inline-policy', principalType: 'group', principalName: 'admins', policyName: 'all' },
      'Delete inline policy `all` of group `admins` (its document is saved for rollback)',
    ],
    [
      {
        action: 'quarantine-role',
        roleName: 'etl',
        policyName: 'iam-posture-quarantine',
        policyDocument: '{}',
      },
      'Attach the deny-all inline policy `iam-posture-quarantine` to role `etl`',
    ],
    [
      {
        action: 'rotate-secret',
        secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
        region: 'eu-west-1',
      },
      'Rotate secret `arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf` in eu-west-1 with its rotation function',
    ],
  ] as const)('describes %j', (step, text) => {
    expect(describeStepForSlack(step)).toBe(text);
  });
});

describe('refusal message', () => {
  it('shows the finding and why remediation will not act, with no button', () => {
    const finding = { ...aRequest().finding, accountId: '123456789012' };
    const message = refusalMessage(finding, 'Refused: deploy-bot is tagged iam-posture:protected=true.');
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Remediation not offered', emoji: true },
    });
    expect(message.blocks[3]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: ':no_entry: Refused: deploy-bot is tagged iam-posture:protected=true.' },
    });
    expect(buttons(message.blocks)).toEqual([]);
    expect(message.text).toBe(
      `Remediation not offered: Active access keys are used within the unused-key window on ${ARN} in account 123456789012. Refused: deploy-bot is tagged iam-posture:protected=true.`,
    );
  });
});

describe('the account in messages', () => {
  const fields = (message: ReturnType<typeof requestMessage>) =>
    message.blocks.flatMap((b) => (b.type === 'section' ? (b.fields ?? []) : [])).map((f) => f.text);

  it('names the account by id and name, escaped, in the request and every outcome update', () => {
    for (const state of ['pending', 'executed', 'refused', 'rolled-back'] as const) {
      const message = requestMessage(
        aRequest({ state, accountName: 'Payments <prod> & co', outcomeReason: 'r' }),
      );
      expect(fields(message)).toContain('*Account*\n`123456789012` (Payments &lt;prod&gt; &amp; co)');
      expect(message.text).toContain('in account 123456789012 (Payments &lt;prod&gt; &amp; co).');
    }
  });

  it('names the account by id alone when its name is unknown', () => {
    const message = requestMessage(aRequest());
    expect(fields(message)).toContain('*Account*\n`123456789012`');
    expect(message.text).toContain('in account 123456789012.');
  });

  it('names the account in a refusal', () => {
    const finding = { ...aRequest().finding, accountId: '123456789012' };
    const message = refusalMessage(finding, 'Refused.', 'Payments');
    expect(fields(message)).toContain('*Account*\n`123456789012` (Payments)');
    expect(message.text).toContain('in account 123456789012 (Payments).');
  });
});

describe('action ids', () => {
  it('maps our action ids and nothing else', () => {
    expect(SLACK_ACTION_IDS).toEqual({
      approve: 'iam_posture_approve',
      reject: 'iam_posture_reject',
      undo: 'iam_posture_undo',
    });
    expect(slackActionOf('iam_posture_approve')).toBe('approve');
    expect(slackActionOf('iam_posture_undo')).toBe('undo');
    expect(slackActionOf('approve')).toBeUndefined();
    expect(slackActionOf('toString')).toBeUndefined();
  });
});

describe('evidenceHighlights', () => {
  it('takes the useful keys first, then other scalars, up to the limit', () => {
    expect(
      evidenceHighlights({
        statements: [{ effect: 'Allow' }],
        keyId: 'AKIA1',
        slot: 1,
        thresholdDays: 45,
        idleDays: 120,
        lastUsedAt: '2024-02-01T00:00:00.000Z',
        lastUsedService: null,
        grantingPolicies: ['policy AdministratorAccess'],
        extra: 'x',
      }),
    ).toEqual({
      idleDays: '120',
      thresholdDays: '45',
      lastUsedAt: '2024-02-01T00:00:00.000Z',
      lastUsedService: 'none',
      keyId: 'AKIA1',
      grantingPolicies: 'policy AdministratorAccess',
    });
  });

  it('shortens long lists and leaves out nested records and empty lists', () => {
    expect(
      evidenceHighlights({
        grantingPolicies: ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
        removablePolicies: [{ type: 'managed', name: 'x' }],
        viaGroups: [],
      }),
    ).toEqual({ grantingPolicies: 'a, b, c, d, e and 2 more' });
  });
});
