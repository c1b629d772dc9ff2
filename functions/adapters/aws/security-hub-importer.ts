import {
  BatchImportFindingsCommand,
  LimitExceededException,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { ASFF_BATCH_LIMIT, type AsffFinding } from '../../core/report/asff';
import type {
  BatchImportResult,
  FailedImport,
  SecurityHubImporter,
} from '../../use-cases/export-security-hub-ports';
import { classifyAwsError } from './errors';

/**
 * `BatchImportFindings` through an injected Security Hub client (one account, one region). A
 * throttled call is an outcome the caller waits on, not an error; every other failure is a
 * `SecurityHubImportError` with the SDK error as its cause.
 */

export class SecurityHubImportError extends Error {
  override readonly name = 'SecurityHubImportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class SecurityHubFindingsImporter implements SecurityHubImporter {
  constructor(private readonly client: SecurityHubClient) {}

  async importBatch(findings: readonly AsffFinding[]): Promise<BatchImportResult> {
    if (findings.length > ASFF_BATCH_LIMIT) {
      throw new SecurityHubImportError(
        `BatchImportFindings takes at most ${ASFF_BATCH_LIMIT} findings per call, got ${findings.length}`,
      );
    }
    if (findings.length === 0) return { outcome: 'done', failed: [] };
    try {
      const response = await this.client.send(new BatchImportFindingsCommand({ Findings: [...findings] }));
      const failed: FailedImport[] = (response.FailedFindings ?? []).map((entry) => ({
        id: entry.Id ?? '',
        errorCode: entry.ErrorCode ?? 'Unknown',
        ...(entry.ErrorMessage ? { errorMessage: entry.ErrorMessage } : {}),
      }));
      const unnamed = failed.filter((entry) => !findings.some((finding) => finding.Id === entry.id));
      if (unnamed.length > 0) {
        // A failure not tied to one of the findings sent cannot be retried finding by finding.
        throw new SecurityHubImportError(
          `BatchImportFindings reported ${unnamed.length} failed findings it did not name: ${unnamed[0]?.errorCode}`,
        );
      }
      return { outcome: 'done', failed };
    } catch (error) {
      if (error instanceof SecurityHubImportError) throw error;
      if (isThrottling(error)) return { outcome: 'throttled' };
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      throw new SecurityHubImportError(`BatchImportFindings failed: ${name}: ${message}`, { cause: error });
    }
  }
}

/**
 * Security Hub answers a request over its rate with TooManyRequestsException (HTTP 429, not in its
 * SDK model) or ThrottlingException, both throttling as the SDK's retry strategy counts it; its
 * LimitExceededException ("beyond ... throttling limits") means the same for a caller.
 */
function isThrottling(error: unknown): boolean {
  if (error instanceof LimitExceededException) return true;
  if (error instanceof Error && error.name === 'LimitExceededException') return true;
  return classifyAwsError(error) === 'Throttling';
}
