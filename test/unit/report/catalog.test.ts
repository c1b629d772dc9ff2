import { describe, expect, it } from 'vitest';
import {
  catalogEntries,
  complianceLabel,
  firstSentence,
  formatCatalogJson,
  formatCatalogMarkdown,
  formatCatalogTable,
} from '../../../functions/core/report';
import { defineRule, pass } from '../../../functions/core/rule';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';

const rule = defineRule(
  {
    id: 'access-key-unused',
    title: 'Access keys are used',
    resourceKinds: ['access-key'],
    severity: 'medium',
    description: 'An active key unused for 45 days | or never used.',
    risk: 'Risk.',
    remediation: { summary: 'Deactivate it.', action: 'deactivate-access-key' },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI1' },
      { framework: 'cis-aws-3.0', control: '1.12' },
      { framework: 'aws-fsbp', control: 'IAM.22' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: ['https://example.com'],
    threshold: 'accessKeyUnusedDays',
  },
  () => pass,
);
const noThreshold = defineRule({ ...rule.meta, id: 'root-access-key', threshold: undefined }, () => pass);

describe('catalogEntries', () => {
  it('gives thresholds with their default, value in effect and bounds', () => {
    const thresholds = { ...DEFAULT_SETTINGS.thresholds, accessKeyUnusedDays: 30 };
    const [entry, other] = catalogEntries([rule, noThreshold], thresholds);
    expect(entry!.threshold).toEqual({
      name: 'accessKeyUnusedDays',
      unit: 'days',
      default: 45,
      value: 30,
      min: 1,
      max: 365,
    });
    expect(other!.threshold).toBeNull();
    expect(entry!.remediation).toEqual({ summary: 'Deactivate it.', action: 'deactivate-access-key' });
  });
});

describe('catalog formats', () => {
  const entries = catalogEntries([rule, noThreshold]);

  it('labels compliance references compactly', () => {
    expect(complianceLabel(rule.meta.compliance)).toBe('NHI1, CIS 1.12, FSBP IAM.22, NIST CSF PR.AA-05');
  });

  it('prints a table with one line per rule', () => {
    const lines = formatCatalogTable(entries).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^RULE\s+SEVERITY\s+RESOURCE\s+THRESHOLD\s+COMPLIANCE$/);
    expect(lines[1]).toMatch(
      /^access-key-unused\s+medium\s+access-key\s+accessKeyUnusedDays = 45 days\s+NHI1, CIS 1.12/,
    );
    expect(lines[2]).toMatch(/^root-access-key\s+medium\s+access-key\s+NHI1/);
  });

  it('prints JSON with every rule', () => {
    const document = JSON.parse(formatCatalogJson(entries));
    expect(document.rules.map((r: { id: string }) => r.id)).toEqual(['access-key-unused', 'root-access-key']);
    expect(document.rules[0].compliance).toHaveLength(4);
  });

  it('escapes emphasis characters outside code spans', () => {
    const starry = defineRule(
      {
        ...rule.meta,
        id: 'trust-wildcard-principal',
        description: 'Allows "*" or snake_case, not `*` on `*`.',
      },
      () => pass,
    );
    const [line] = formatCatalogMarkdown(catalogEntries([starry]))
      .split('\n')
      .slice(2);
    expect(line).toContain('| Allows "\\*" or snake\\_case, not `*` on `*`. |');
  });

  it('prints a Markdown table, escaping pipes', () => {
    const lines = formatCatalogMarkdown(entries).trimEnd().split('\n');
    expect(lines[2]).toBe(
      '| `access-key-unused` | medium | access-key | An active key unused for 45 days \\| or never used. | `accessKeyUnusedDays` 45 (1..365) | NHI1, CIS 1.12, FSBP IAM.22, NIST CSF PR.AA-05 |',
    );
  });
});

describe('firstSentence', () => {
  it.each([
    ['One. Two.', 'One.'],
    ['Only one sentence.', 'Only one sentence.'],
    [
      'Keys older than 90 days (e.g. rotated by hand). More.',
      'Keys older than 90 days (e.g. rotated by hand).',
    ],
    ['No period', 'No period'],
  ])('%j -> %j', (text, first) => {
    expect(firstSentence(text)).toBe(first);
  });
});
