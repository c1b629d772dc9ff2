import type { ComplianceRef, Rule, Severity } from '../rule';
import { DEFAULT_SETTINGS, type Thresholds, ThresholdsSchema } from '../settings';
import { alignColumns } from './columns';

/** A rule as `iam-posture rules` shows it. */
export interface CatalogEntry {
  id: string;
  title: string;
  severity: Severity;
  resourceKinds: string[];
  description: string;
  risk: string;
  remediation: { summary: string; action: string | null };
  compliance: ComplianceRef[];
  references: string[];
  threshold: ThresholdInfo | null;
}

export interface ThresholdInfo {
  /** The settings key under `thresholds`. */
  name: keyof Thresholds;
  unit: 'days';
  default: number;
  /** The value in effect (from `--config`, else the default). */
  value: number;
  min: number;
  max: number;
}

export function catalogEntries(
  rules: readonly Rule[],
  thresholds: Thresholds = DEFAULT_SETTINGS.thresholds,
): CatalogEntry[] {
  return rules.map((rule): CatalogEntry => {
    const { meta } = rule;
    return {
      id: meta.id,
      title: meta.title,
      severity: meta.severity,
      resourceKinds: [...meta.resourceKinds],
      description: meta.description,
      risk: meta.risk,
      remediation: { summary: meta.remediation.summary, action: meta.remediation.action ?? null },
      compliance: [...meta.compliance],
      references: [...meta.references],
      threshold: meta.threshold ? thresholdInfo(meta.threshold, thresholds) : null,
    };
  });
}

export function thresholdInfo(name: keyof Thresholds, thresholds: Thresholds): ThresholdInfo {
  const schema = ThresholdsSchema.shape[name].unwrap();
  return {
    name,
    unit: 'days',
    default: DEFAULT_SETTINGS.thresholds[name],
    value: thresholds[name],
    min: schema.minValue ?? 0,
    max: schema.maxValue ?? Number.MAX_SAFE_INTEGER,
  };
}

const FRAMEWORK_LABELS: Record<ComplianceRef['framework'], string> = {
  'owasp-nhi-2025': '',
  'cis-aws-3.0': 'CIS ',
  'aws-fsbp': 'FSBP ',
  'nist-csf-2.0': 'NIST CSF ',
};

/** `NHI1, CIS 1.12, FSBP IAM.22`. */
export function complianceLabel(refs: readonly ComplianceRef[]): string {
  return refs.map((ref) => `${FRAMEWORK_LABELS[ref.framework]}${ref.control}`).join(', ');
}

function thresholdLabel(t: ThresholdInfo | null): string {
  if (!t) return '';
  const value = t.value === t.default ? `${t.value}` : `${t.value} (default ${t.default})`;
  return `${t.name} = ${value} ${t.unit}`;
}

export function formatCatalogJson(entries: readonly CatalogEntry[]): string {
  return `${JSON.stringify({ rules: entries }, null, 2)}\n`;
}

/** One line per rule: id, severity, resource kinds, threshold, compliance. */
export function formatCatalogTable(entries: readonly CatalogEntry[]): string {
  const header = ['RULE', 'SEVERITY', 'RESOURCE', 'THRESHOLD', 'COMPLIANCE'];
  const rows = entries.map((e) => [
    e.id,
    e.severity,
    e.resourceKinds.join(', '),
    thresholdLabel(e.threshold),
    complianceLabel(e.compliance),
  ]);
  return `${alignColumns(header, rows).join('\n')}\n`;
}

/** Escapes emphasis characters outside `code spans`, so `"*"` stays a star. */
function markdownText(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/([*_])/g, '\\$1')))
    .join('`');
}

/** The first sentence: up to a period followed by a capitalized word, or the whole text. */
export function firstSentence(text: string): string {
  const end = /\.\s+(?=[A-Z])/.exec(text);
  return end ? text.slice(0, end.index + 1) : text;
}

/** The README's rule table: one line per rule, the first sentence of its description. */
export function formatCatalogMarkdown(entries: readonly CatalogEntry[]): string {
  const cell = (text: string) => markdownText(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = entries.map((e) => {
    const threshold = e.threshold
      ? `\`${e.threshold.name}\` ${e.threshold.default} (${e.threshold.min}..${e.threshold.max})`
      : '';
    return `| \`${e.id}\` | ${e.severity} | ${e.resourceKinds.join(', ')} | ${cell(firstSentence(e.description))} | ${threshold} | ${cell(complianceLabel(e.compliance))} |`;
  });
  return [
    '| id | severity | resource | fails when | threshold, days (bounds) | maps to |',
    '|---|---|---|---|---|---|',
    ...rows,
  ]
    .join('\n')
    .concat('\n');
}
