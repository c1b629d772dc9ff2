import { CommanderError, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT, UsageError } from '../../../bin/commands/io';
import { exitCodeFor } from '../../../bin/exit-codes';
import { CollectionError } from '../../../functions/adapters/aws/errors';
import { ConfigFileError } from '../../../functions/adapters/config-file';
import { FindingsStoreError, MalformedItemError } from '../../../functions/adapters/dynamo-findings-store';
import { ExportReadError } from '../../../functions/adapters/export-reader';
import { ExportWriteError } from '../../../functions/adapters/export-writer';
import { FindingsTableAdminError } from '../../../functions/adapters/findings-table-admin';
import { OutputFileError } from '../../../functions/adapters/output-file';
import { ScanConfigError } from '../../../functions/core/scan-function-config';
import { SettingsError } from '../../../functions/core/settings';
import { RunScanError } from '../../../functions/use-cases/run-scan';

function capture(env: NodeJS.ProcessEnv = {}) {
  let text = '';
  const stderr = {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { io: { stderr, env }, stderr: () => text };
}

/** Each error the CLI maps to exit 2, built as the code that throws it does (imported from there). */
const INPUT_ERRORS: [string, Error][] = [
  ['UsageError', new UsageError('--dry-run and --yes: give one of them')],
  ['ExportReadError', new ExportReadError('export directory x is not a directory', 'x')],
  ['ConfigFileError', new ConfigFileError('config file c.yaml cannot be read', 'c.yaml')],
  ['SettingsError', new SettingsError('c.yaml', ['thresholds.keyAgeDays: expected a number'])],
  ['OutputFileError', new OutputFileError('cannot write report.json: no such directory')],
  ['CollectionError', new CollectionError('cannot identify the AWS account (no credentials)')],
  ['ExportWriteError', new ExportWriteError('out is not an export directory', 'out')],
  ['RunScanError', new RunScanError('the scanned data names no account id')],
  ['FindingsStoreError', new FindingsStoreError('the findings table t does not exist')],
  [
    'MalformedItemError',
    new MalformedItemError({ key: { PK: 'ACCOUNT#1', SK: 'FINDING#f' }, issues: ['status: bad'] }),
  ],
  ['ScanConfigError', new ScanConfigError(['FINDINGS_TABLE_NAME: required'])],
  ['FindingsTableAdminError', new FindingsTableAdminError('the findings table t could not be created')],
];

describe('exitCodeFor', () => {
  it.each(INPUT_ERRORS)('maps a %s to exit 2 with its message on one line', (name, error) => {
    const { io, stderr } = capture();
    expect(error.name).toBe(name);
    expect(exitCodeFor(error, io)).toBe(EXIT.input);
    expect(stderr()).toBe(`iam-posture: ${error.message}\n`);
  });

  it('goes by class, not by name: an unknown error named like an input error is internal (exit 3)', () => {
    const { io, stderr } = capture();
    const impostor = Object.assign(new Error('boom'), { name: 'FindingsStoreError' });
    expect(exitCodeFor(impostor, io)).toBe(EXIT.internal);
    expect(stderr()).toBe(
      'iam-posture: internal error: boom\n  (set IAM_POSTURE_DEBUG=1 for a stack trace, and please report it)\n',
    );
  });

  it('prints the stack of an internal error when IAM_POSTURE_DEBUG is set', () => {
    const { io, stderr } = capture({ IAM_POSTURE_DEBUG: '1' });
    const error = new TypeError('x is undefined');
    expect(exitCodeFor(error, io)).toBe(EXIT.internal);
    expect(stderr()).toBe(`iam-posture: internal error: x is undefined\n${error.stack}\n`);
  });

  it('maps a thrown non-error to exit 3 with its text', () => {
    const { io, stderr } = capture();
    expect(exitCodeFor('odd', io)).toBe(EXIT.internal);
    expect(stderr()).toMatch(/^iam-posture: internal error: odd\n/);
  });

  it.each([
    ['help or version (exit 0)', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.ok],
    ['a usage error', new CommanderError(1, 'commander.unknownOption', "unknown option '--x'"), EXIT.input],
    ['a bad option value', new InvalidArgumentError('expected one of critical, high'), EXIT.input],
  ])('maps commander %s without printing it again', (_what, error, code) => {
    const { io, stderr } = capture();
    expect(exitCodeFor(error, io)).toBe(code);
    expect(stderr()).toBe('');
  });
});
