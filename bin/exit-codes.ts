import { CommanderError } from 'commander';
import { CollectionError } from '../functions/adapters/collection-error';
import { ConfigFileError } from '../functions/adapters/config-file';
import { ExportReadError } from '../functions/adapters/export-reader';
import { ExportWriteError } from '../functions/adapters/export-writer';
import { OrganizationDiscoveryError } from '../functions/adapters/organization-error';
import { OutputFileError } from '../functions/adapters/output-file';
import {
  FindingsStoreError,
  FindingsTableAdminError,
  MalformedItemError,
} from '../functions/adapters/store-errors';
import type { OutcomeCounts } from '../functions/core/organization-scan';
import { ScanConfigError } from '../functions/core/scan-function-config';
import { SettingsError } from '../functions/core/settings';
import { RunScanError } from '../functions/use-cases/run-scan-error';
import { EXIT, type Io, UsageError } from './commands/io';

/**
 * The errors that mean bad usage or unusable input (exit 2). Each comes from a module that does not
 * load the AWS SDK, so a command that never calls AWS maps them without loading it.
 */
export const INPUT_ERRORS = [
  UsageError,
  ExportReadError,
  ConfigFileError,
  SettingsError,
  OutputFileError,
  CollectionError,
  ExportWriteError,
  RunScanError,
  FindingsStoreError,
  MalformedItemError,
  ScanConfigError,
  FindingsTableAdminError,
  OrganizationDiscoveryError,
] as const;

/**
 * The exit codes of an organization run (`scan --org`, `collect --org`, `scan --export` of an
 * organization export), beyond those of `EXIT`. An account that could not be scanned leaves the
 * run incomplete, which a pipeline must be able to tell from findings: it wins over exit 1.
 * A `partial` account (scanned, some sources not read) is not a failure here, as coverage gaps
 * are not for one account; the outcome table and the JSON `accounts` list name it.
 */
export const ORGANIZATION_EXIT = {
  /** At least one account failed; the others were scanned and reported. */
  someAccountsFailed: 4,
  /** Every selected account failed: nothing was scanned. */
  allAccountsFailed: 5,
} as const;

/** The exit code of an organization run: its failed accounts, else what its findings decide. */
export function organizationExitCode(counts: OutcomeCounts, findingsExit: number): number {
  if (counts.total > 0 && counts.failed === counts.total) return ORGANIZATION_EXIT.allAccountsFailed;
  if (counts.failed > 0) return ORGANIZATION_EXIT.someAccountsFailed;
  return findingsExit;
}

/** The exit code for an error, after printing it as one line (no stack trace for expected errors). */
export function exitCodeFor(error: unknown, io: Pick<Io, 'stderr' | 'env'>): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.input;
  }
  if (INPUT_ERRORS.some((type) => error instanceof type)) {
    io.stderr.write(`iam-posture: ${(error as Error).message}\n`);
    return EXIT.input;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`iam-posture: internal error: ${message}\n`);
  if (io.env.IAM_POSTURE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('  (set IAM_POSTURE_DEBUG=1 for a stack trace, and please report it)\n');
  return EXIT.internal;
}
