import { csvRow } from '../csv';
import { alignColumns } from '../report/columns';
import { shortResource } from '../report/table';
import type { ComplianceView, ControlOutcome, ControlStatus, FailingResource } from './view';

/** How many failing resources a table lists per control; JSON and CSV list all of them. */
export const MAX_FAILING_IN_TABLE = 5;

const STATUS_LABELS: Record<ControlStatus, string> = {
  fail: 'fail',
  incomplete: 'incomplete',
  pass: 'pass',
  'not-applicable': 'not applicable',
  'not-covered': 'not covered',
};

/** `22 controls in scope: 3 fail, 1 incomplete, 5 pass, 0 not applicable, 13 not covered`. */
export function complianceSummaryLine(view: ComplianceView): string {
  const { counts } = view;
  const parts = (['fail', 'incomplete', 'pass', 'not-applicable', 'not-covered'] as const).map(
    (status) => `${counts[status]} ${STATUS_LABELS[status]}`,
  );
  const total = view.controls.length;
  return `${view.framework.id}: ${total} control${total === 1 ? '' : 's'} in scope: ${parts.join(', ')}`;
}

function resourceLabel(resource: FailingResource): string {
  const name = shortResource(resource.resourceArn);
  const sub =
    resource.subResource && resource.ruleId !== 'scan-coverage-gap' ? ` [${resource.subResource}]` : '';
  const error = resource.result === 'error' ? ', rule error' : '';
  return `${name}${sub} (${resource.ruleId}${error})`;
}

function countCell(control: ControlOutcome, value: number): string {
  return control.status === 'not-covered' ? '-' : String(value);
}

/** The rules of a control as the table shows them: listed under the table when they are many. */
function rulesCell(control: ControlOutcome): string {
  const names = control.rules.map((rule) => rule.id).join(', ');
  return names.length <= MAX_RULES_WIDTH ? names : `${control.rules.length} rules, listed below`;
}

const MAX_RULES_WIDTH = 40;

/** The details under the table: for each control that is not plainly passing, what and why. */
function detailLines(control: ControlOutcome): string[] {
  const lines: string[] = [];
  if (rulesCell(control) !== control.rules.map((rule) => rule.id).join(', ')) {
    lines.push(`rules: ${control.rules.map((rule) => rule.id).join(', ')}`);
  }
  if (control.failing.length > 0) {
    const shown = control.failing.slice(0, MAX_FAILING_IN_TABLE).map(resourceLabel);
    const more = control.failing.length - shown.length;
    lines.push(`failing: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  if (control.errors > 0) {
    lines.push(`rule errors: ${control.errors} (resources not known to be healthy, not counted as passing)`);
  }
  if (control.suppressed > 0) lines.push(`exempted: ${control.suppressed} (not counted as failing)`);
  const byReason = new Map<string, string[]>();
  for (const rule of control.rules) {
    for (const reason of rule.incomplete) byReason.set(reason, [...(byReason.get(reason) ?? []), rule.id]);
  }
  for (const [reason, rules] of byReason) lines.push(`not fully read: ${reason} (${rules.join(', ')})`);
  const disabled = control.rules.filter((rule) => rule.status === 'not-evaluated').map((rule) => rule.id);
  if (disabled.length > 0) lines.push(`disabled in the settings: ${disabled.join(', ')}`);
  if (control.outsideCatalog) lines.push('a rule maps to this id, which the framework catalog does not list');
  return lines;
}

export function formatComplianceTable(view: ComplianceView): string {
  const { framework } = view;
  const head = [
    `${framework.name} (${framework.id}), account ${view.accountId}, evaluated ${view.evaluatedAt}`,
    `Scope: ${framework.scope}.`,
    '',
  ];
  const rows = view.controls.map((control) => [
    control.id,
    STATUS_LABELS[control.status],
    countCell(control, control.pass),
    countCell(control, control.fail),
    rulesCell(control),
    control.title,
  ]);
  const table = alignColumns(['CONTROL', 'STATUS', 'PASS', 'FAIL', 'RULES', 'TITLE'], rows, {
    rightAligned: [2, 3],
  });
  const details: string[] = [];
  for (const control of view.controls) {
    const lines = detailLines(control);
    if (lines.length === 0) continue;
    details.push(`${control.id} ${STATUS_LABELS[control.status]}`, ...lines.map((line) => `  ${line}`));
  }
  const notes = [
    '',
    'PASS and FAIL count resources per rule: a resource failing two rules of a control counts twice.',
    'Not covered: no rule tests the control, so nothing is known about it; it is not passing.',
  ];
  return `${[
    ...head,
    ...table,
    ...(details.length > 0 ? ['', ...details] : []),
    ...notes,
    '',
    complianceSummaryLine(view),
  ].join('\n')}\n`;
}

export function formatComplianceJson(view: ComplianceView): string {
  const { framework, accountId, evaluatedAt, counts, controls } = view;
  return `${JSON.stringify(
    { framework, accountId, evaluatedAt, summary: { controls: controls.length, ...counts }, controls },
    null,
    2,
  )}\n`;
}

export const COMPLIANCE_CSV_COLUMNS = [
  'framework',
  'control',
  'title',
  'status',
  'rules',
  'pass',
  'fail',
  'errors',
  'suppressed',
  'notApplicable',
  'failingResources',
  'incomplete',
] as const;

/** RFC 4180, one row per control; failing resources are `arn` or `arn#sub`, space-separated. */
export function formatComplianceCsv(view: ComplianceView): string {
  const lines = [COMPLIANCE_CSV_COLUMNS.join(',')];
  for (const control of view.controls) {
    const cells = [
      view.framework.id,
      control.id,
      control.title,
      control.status,
      control.rules.map((rule) => rule.id).join(' '),
      control.pass,
      control.fail,
      control.errors,
      control.suppressed,
      control.notApplicable,
      control.failing
        .map((f) => (f.subResource ? `${f.resourceArn}#${f.subResource}` : f.resourceArn))
        .join(' '),
      control.incomplete.join('; '),
    ];
    lines.push(csvRow(cells));
  }
  return `${lines.join('\r\n')}\r\n`;
}
