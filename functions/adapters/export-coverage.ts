import type { CoverageGap } from '../core/model';
import { EXPORT_FILES } from '../core/raw';

/**
 * `coverage-gaps.json` (optional): what a live collection could not read, as an array of
 * `CoverageGap` objects. Reading it back keeps `collect --out DIR` + `scan --export DIR` as
 * honest as a live scan: a document that could not be collected is reported, not taken as empty.
 */
export const COVERAGE_GAPS_FILE = 'coverage-gaps.json';

/** The API operations whose failure leaves a required export file unwritten. */
const OPERATIONS_BY_FILE: Record<string, readonly string[]> = {
  [EXPORT_FILES.authorizationDetails]: ['iam:GetAccountAuthorizationDetails'],
  [EXPORT_FILES.credentialReport]: ['iam:GenerateCredentialReport', 'iam:GetCredentialReport'],
};

/**
 * The gaps recorded in `coverage-gaps.json` (`undefined` text: no such file). Entries that are not
 * gaps are left out, and one gap about the file itself says how many.
 */
export function parseCoverageGapsFile(text: string | undefined): CoverageGap[] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [fileGap(`${COVERAGE_GAPS_FILE} is not valid JSON (${(error as Error).message}).`, '$')];
  }
  if (!Array.isArray(value)) return [fileGap(`${COVERAGE_GAPS_FILE} is not an array of coverage gaps.`, '$')];
  const gaps: CoverageGap[] = [];
  const rejected: number[] = [];
  value.forEach((entry, index) => {
    const gap = asGap(entry);
    if (gap) gaps.push(gap);
    else rejected.push(index);
  });
  if (rejected.length > 0) {
    gaps.push(
      fileGap(
        `${COVERAGE_GAPS_FILE} has ${rejected.length} entr${rejected.length === 1 ? 'y' : 'ies'} that are not coverage gaps (first at $[${rejected[0]}]); what they describe is unknown.`,
        `$[${rejected[0]}]`,
      ),
    );
  }
  return gaps;
}

/** True when a recorded gap says why `file` (a required export file) was not collected. */
export function explainsMissingFile(file: string, gaps: readonly CoverageGap[]): boolean {
  const operations = OPERATIONS_BY_FILE[file] ?? [];
  return gaps.some((gap) => operations.includes(gap.source));
}

function asGap(entry: unknown): CoverageGap | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  const text = (key: string) => (typeof e[key] === 'string' ? (e[key] as string) : undefined);
  const source = text('source');
  const reason = text('reason');
  const category = text('category');
  if (e.kind !== 'coverage-gap' || !source || !reason || !category) return undefined;
  const gap: CoverageGap = {
    kind: 'coverage-gap',
    arn: text('arn') ?? '',
    accountId: text('accountId') ?? '',
    source,
    reason,
    category,
  };
  const detail = text('detail');
  if (detail !== undefined) gap.detail = detail;
  return gap;
}

/** About the file itself; `normalize` fills in the account. */
function fileGap(reason: string, detail: string): CoverageGap {
  return {
    kind: 'coverage-gap',
    arn: '',
    accountId: '',
    source: COVERAGE_GAPS_FILE,
    category: 'Malformed',
    reason,
    detail,
  };
}
