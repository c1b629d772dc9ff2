import { loadScanSettings } from '../../functions/adapters/config-file';
import { DEFAULT_SETTINGS, type ScanSettings } from '../../functions/core/settings';

/** What a command writes to and reads from: the process streams and environment. */
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** Exit codes: the documented contract of the CLI. */
export const EXIT = {
  ok: 0,
  /** Findings at or above `--fail-on`. */
  findings: 1,
  /** Bad usage or unusable input (export, config file). */
  input: 2,
  /** A defect in iam-posture itself. */
  internal: 3,
} as const;

/** A usage problem found by a command (a missing or contradictory option). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Stops the command with a one-line message and exit code 2. */
export function fail(message: string): never {
  throw new UsageError(message);
}

/** The settings file of `--config`, else the defaults. */
export async function loadSettings(file: string | undefined): Promise<ScanSettings> {
  return file ? loadScanSettings(file) : DEFAULT_SETTINGS;
}

/** https://no-color.org: a non-empty NO_COLOR turns colour off. */
export function noColor(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

/** Coverage gaps listed one per line on stderr, at most this many. */
export const MAX_GAPS_ON_STDERR = 10;

export const steps = (count: number): string => `${count} step${count === 1 ? '' : 's'}`;
