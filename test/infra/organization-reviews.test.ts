import { beforeAll, describe, expect, it } from 'vitest';
import { SCAN_FUNCTION_TABLE_ACTIONS } from '../../functions/core/findings-table';
import { parseReviewScanConfig } from '../../functions/core/review/function-config';
import {
  acknowledgements,
  logicalId,
  nagViolations,
  type PolicyStatement,
  roleStatements,
  type Synthesized,
  synthesize,
} from './synth';

/**
 * In organization mode each member account's scan runs in the state machine's account step, which
 * starts that account's due review campaigns: it gets the scan function's `REVIEWS` and, through
 * the scanner role it runs with, the same table and bus access, only when reviews are enabled.
 */

type Json = Record<string, unknown>;
const CONFIG = {
  organization: { enabled: true, organizationId: 'o-abc1234567' },
  slackChannelId: 'C0123ABCD',
  approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }],
  ownership: { tagKeys: ['owner'], slack: { 'team-payments': 'U0PAYMENTS' } },
  reviews: {
    enabled: true,
    rhythms: [{ name: 'quarterly', every: 'quarterly', scope: 'all' }],
    deadlineDays: 10,
    remindBeforeDays: 2,
    escalationChannel: 'C0ESCALATE',
    reviewers: [{ teamId: 'T0123ABCD', userId: 'U0REVIEWER' }],
  },
};

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function resourceOf(synth: Synthesized, logical: string): Json {
  return (synth.template.toJSON().Resources as Record<string, { Properties: Json }>)[logical]!.Properties;
}

function variablesOf(synth: Synthesized, logical: string): Record<string, unknown> {
  return (resourceOf(synth, logical).Environment as { Variables: Record<string, unknown> }).Variables;
}

/** The statements on the findings table's indexes: what listing campaigns by rhythm needs. */
function indexStatements(synth: Synthesized): PolicyStatement[] {
  const table = logicalId(synth.stack.findings.table);
  return roleStatements(synth.template, logicalId(synth.stack.scannerRole.role)).filter((s) =>
    JSON.stringify(s.Resource).includes(`"${table}","Arn"]},"/index/*"`),
  );
}

describe('review campaigns of an organization run', () => {
  let enabled: Synthesized;
  let disabled: Synthesized;
  beforeAll(() => {
    enabled = synthesize(CONFIG, { bundle: false });
    disabled = synthesize({ ...CONFIG, reviews: { enabled: false } }, { bundle: false });
  }, 180_000);

  const scanAccountOf = (synth: Synthesized) => logicalId(synth.stack.organizationScan!.scanAccount);

  it('gives the account step the scan function’s REVIEWS: the rhythms and timing, without the reviewers', () => {
    const step = variablesOf(enabled, scanAccountOf(enabled));
    const scan = variablesOf(enabled, logicalId(enabled.stack.scan.function));
    expect(typeof step.REVIEWS).toBe('string');
    expect(step.REVIEWS).toBe(scan.REVIEWS);
    expect(JSON.parse(step.REVIEWS as string)).toEqual({
      enabled: true,
      rhythms: [{ name: 'quarterly', every: 'quarterly', scope: 'all' }],
      deadlineDays: 10,
      remindBeforeDays: 2,
      attestationDays: 90,
    });
    expect(parseReviewScanConfig({ REVIEWS: step.REVIEWS as string })).toMatchObject({
      enabled: true,
      deadlineDays: 10,
    });
    expect(Object.keys(step).filter((name) => name.startsWith('REVIEW_'))).toEqual([]);
  });

  it('runs the account step with the scanner role, which may list campaigns on the table’s indexes, once', () => {
    const role = logicalId(enabled.stack.scannerRole.role);
    expect(resourceOf(enabled, scanAccountOf(enabled)).Role).toEqual({ 'Fn::GetAtt': [role, 'Arn'] });
    const onIndexes = indexStatements(enabled);
    expect(onIndexes).toHaveLength(1);
    expect(asArray(onIndexes[0]!.Action)).toEqual(['dynamodb:Query']);
    expect(onIndexes[0]!.Effect).toBe('Allow');
    // Campaigns and their items are written, and ReviewCampaignStarted published, with what the
    // account's scan has: no other table action and no bus beyond the findings bus.
    const actions = roleStatements(enabled.template, role).flatMap((s) => asArray(s.Action));
    const tableActions = [...new Set(actions.filter((a) => a.startsWith('dynamodb:')))].sort();
    expect(tableActions).toEqual([...new Set([...SCAN_FUNCTION_TABLE_ACTIONS, 'dynamodb:Query'])].sort());
    const putEvents = roleStatements(enabled.template, role).filter((s) =>
      asArray(s.Action).includes('events:PutEvents'),
    );
    expect(putEvents.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [logicalId(enabled.stack.events.bus), 'Arn'] },
    ]);
  });

  it('gives the account step neither REVIEWS nor the index access when reviews are disabled', () => {
    expect(disabled.stack.reviews).toBeUndefined();
    expect(variablesOf(disabled, scanAccountOf(disabled))).not.toHaveProperty('REVIEWS');
    expect(variablesOf(disabled, logicalId(disabled.stack.scan.function))).not.toHaveProperty('REVIEWS');
    expect(indexStatements(disabled)).toEqual([]);
    const actions = roleStatements(disabled.template, logicalId(disabled.stack.scannerRole.role)).flatMap(
      (s) => asArray(s.Action),
    );
    expect([...new Set(actions.filter((a) => a.startsWith('dynamodb:')))].sort()).toEqual(
      [...new Set(SCAN_FUNCTION_TABLE_ACTIONS)].sort(),
    );
  });

  it('passes cdk-nag, acknowledging on the scanner role only the index wildcard of the table grant', () => {
    expect(nagViolations(enabled.app)).toEqual([]);
    const own = acknowledgements(enabled.app).filter((a) => /Scanner\/Role/.test(a.path));
    expect(own.length).toBeGreaterThan(0);
    for (const ack of own.filter((a) => a.id.includes('/index/*'))) {
      expect(String(ack.reason)).toMatch(/indexes of this one table/);
    }
  });
});
