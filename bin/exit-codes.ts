import { CommanderError } from 'commander';
import { CollectionError } from '../functions/adapters/collection-error';
import { ConfigFileError } from '../functions/adapters/config-file';
import { ExportReadError } from '../functions/adapters/export-reader';
import { ExportWriteError } from '../functions/adapters/export-writer';
import { OutputFileError } from '../functions/adapters/output-file';
import {
  FindingsStoreError,
  FindingsTableAdminError,
  MalformedItemError,
} from '../functions/adapters/store-errors';
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
] as const;

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
