import type { AsffFinding } from '../core/report/asff';

/** What the Security Hub export needs from Security Hub: one import call in one account. */

/** A finding Security Hub did not take, as `FailedFindings` names it. */
export interface FailedImport {
  id: string;
  errorCode: string;
  errorMessage?: string;
}

export type BatchImportResult = { outcome: 'throttled' } | { outcome: 'done'; failed: FailedImport[] };

/** `BatchImportFindings` in one account's Security Hub. */
export interface SecurityHubImporter {
  /** One call with at most 100 findings; other errors are thrown. */
  importBatch(findings: readonly AsffFinding[]): Promise<BatchImportResult>;
}
