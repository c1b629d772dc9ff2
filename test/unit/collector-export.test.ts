import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import { ExportWriteError, writeExportDirectory } from '../../functions/adapters/export-writer';
import type { Finding } from '../../functions/core/finding';
import { normalize } from '../../functions/core/normalize';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import {
  ACCOUNT_ID,
  fixture,
  mocks,
  NOW,
  resetMocks,
  runCollection,
  serviceError,
  stubHealthyAccount,
} from './collector-fixtures';

let root: string;
beforeEach(async () => {
  resetMocks();
  stubHealthyAccount();
  root = await mkdtemp(join(tmpdir(), 'iam-posture-export-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

describe('writeExportDirectory', () => {
  it('writes the export files of a live collection in the AWS CLI shapes', async () => {
    const { result } = await runCollection({ regions: ['eu-west-1', 'us-east-1'] });
    const dir = join(root, 'export');
    const written = await writeExportDirectory(dir, result.raw);

    expect(written).toEqual([
      'access-keys.json',
      'account.json',
      'authorization-details.json',
      'credential-report.csv',
      'organization.json',
      'secret-policies.json',
      'secrets.json',
      'server-certificates.json',
      'service-last-accessed.json',
    ]);
    expect((await readdir(dir)).sort()).toEqual(written);
    expect(await readJson(join(dir, 'organization.json'))).toEqual({
      Organization: expect.objectContaining({ Id: 'o-a1b2c3d4e5', MasterAccountId: '444455556666' }),
    });
    const details = await readJson(join(dir, 'authorization-details.json'));
    expect(Object.keys(details).sort()).toEqual([
      'GroupDetailList',
      'Policies',
      'RoleDetailList',
      'UserDetailList',
    ]);
    expect(details.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Action).toBe(
      'sts:AssumeRoleWithWebIdentity',
    );
    expect(await readFile(join(dir, 'credential-report.csv'), 'utf8')).toBe(result.raw.credentialReport);
    expect(Object.keys(await readJson(join(dir, 'secrets.json')))).toEqual(['eu-west-1', 'us-east-1']);
    expect(await readJson(join(dir, 'account.json'))).toEqual({
      AccountId: ACCOUNT_ID,
      CollectedAt: NOW.toISOString(),
      CredentialReportGeneratedAt: '2024-06-01T11:58:00.000Z',
    });
    expect(Object.keys(await readJson(join(dir, 'access-keys.json')))).toEqual([
      'alice',
      'carol',
      'deploy-bot',
    ]);
    expect(await readdir(root)).toEqual(['export']);
  });

  it('reads back into the same inventory and the same findings as the live data', async () => {
    const { result } = await runCollection({ regions: ['eu-west-1', 'us-east-1'] });
    const dir = join(root, 'export');
    await writeExportDirectory(dir, result.raw);
    const readBack = await readExportDirectory(dir);

    const live = normalize(result.raw);
    const offline = normalize(readBack);
    expect(live.coverageGaps).toEqual([]);
    expect(offline).toEqual(live);
    expect(live.roles.map((role) => role.name)).toEqual(['ci-deploy', 'AWSServiceRoleForSupport', 'idle']);
    expect(live.credentialReportGeneratedAt).toEqual(new Date('2024-06-01T11:58:00Z'));
    const options = { settings: DEFAULT_SETTINGS, now: NOW };
    expect(analyzeAccount(readBack, options).findings).toEqual(analyzeAccount(result.raw, options).findings);
  });

  it('records collection gaps in coverage-gaps.json and leaves out what was not collected', async () => {
    mocks.iam.on(GenerateCredentialReportCommand).resolves({ State: 'INPROGRESS' });
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).rejects(serviceError('AccessDenied', 'denied', 403));
    const { result } = await runCollection({ collector: { credentialReport: { timeoutMs: 5000 } } });
    const dir = join(root, 'export');
    const written = await writeExportDirectory(dir, result.raw);

    expect(written).not.toContain('authorization-details.json');
    expect(written).not.toContain('credential-report.csv');
    const gaps = await readJson(join(dir, 'coverage-gaps.json'));
    expect(gaps.map((gap: { source: string; category: string }) => [gap.source, gap.category])).toEqual([
      ['iam:GenerateCredentialReport', 'Timeout'],
      ['iam:GetAccountAuthorizationDetails', 'AccessDenied'],
    ]);

    // The reader accepts the missing required files because the gaps say why, and reports them.
    const readBack = await readExportDirectory(dir);
    expect(readBack.authorizationDetails).toEqual([]);
    expect(readBack.credentialReport).toBeUndefined();
    const report = analyzeAccount(readBack, { settings: DEFAULT_SETTINGS, now: NOW });
    expect(report.coverage.map((gap) => [gap.source, gap.category, gap.arn])).toEqual([
      ['iam:GenerateCredentialReport', 'Timeout', `arn:aws:iam::${ACCOUNT_ID}:root`],
      ['iam:GetAccountAuthorizationDetails', 'AccessDenied', `arn:aws:iam::${ACCOUNT_ID}:root`],
    ]);
  });

  it('gives each gap one id and one count, live and offline: collect reports what a scan of its export reports', async () => {
    const report = fixture('get-credential-report.json');
    const lines = new TextDecoder().decode(report.Content).split('\n');
    const withoutRoot = lines.filter((line: string) => !line.startsWith('<root_account>')).join('\n');
    mocks.iam
      .on(GetCredentialReportCommand)
      .resolves({ ...report, Content: new TextEncoder().encode(withoutRoot) });
    mocks.iam
      .on(ListAccessKeysCommand, { UserName: 'carol' })
      .rejects(serviceError('AccessDenied', 'denied', 403));
    const { result } = await runCollection({ regions: ['eu-west-1', 'us-east-1'] });
    const dir = join(root, 'export');
    await writeExportDirectory(dir, result.raw);

    const options = { settings: DEFAULT_SETTINGS, now: NOW };
    const live = analyzeAccount(result.raw, options);
    const offline = analyzeAccount(await readExportDirectory(dir), options);
    expect(live.coverage.map((gap) => [gap.source, gap.detail ?? null, gap.category])).toEqual([
      ['iam:ListAccessKeys', null, 'AccessDenied'],
      ['credential-report.csv', '<root_account>', 'Missing'],
    ]);
    expect(offline.coverage).toEqual(live.coverage);
    const gapIds = (findings: Finding[]) =>
      findings.filter((f) => f.ruleId === 'scan-coverage-gap').map((f) => [f.id, f.subResource]);
    expect(gapIds(offline.findings)).toEqual(gapIds(live.findings));
    expect(gapIds(live.findings)).toHaveLength(2);
    expect(offline.findings).toEqual(live.findings);
    expect(result.coverageGaps).toEqual(live.coverage.map((gap) => ({ kind: 'coverage-gap', ...gap })));
  });

  it('still refuses an export that lacks a required file without a gap explaining it', async () => {
    const { result } = await runCollection();
    const dir = join(root, 'export');
    await writeExportDirectory(dir, { ...result.raw, credentialReport: undefined });
    await expect(readExportDirectory(dir)).rejects.toMatchObject({ name: 'ExportReadError' });
  });

  it('replaces an earlier export entirely, so no file of the earlier collection survives', async () => {
    const { result } = await runCollection();
    const dir = join(root, 'export');
    await writeExportDirectory(dir, result.raw);
    await writeExportDirectory(dir, {
      ...result.raw,
      secretPolicies: undefined,
      serviceLastAccessed: undefined,
    });
    const files = await readdir(dir);
    expect(files).not.toContain('secret-policies.json');
    expect(files).not.toContain('service-last-accessed.json');
    expect(files).toContain('authorization-details.json');
    expect(await readdir(root)).toEqual(['export']);
  });

  it('refuses to replace a directory that holds anything but export files', async () => {
    const { result } = await runCollection();
    const dir = join(root, 'home');
    await writeExportDirectory(dir, result.raw);
    await writeFile(join(dir, 'notes.txt'), 'mine');

    const error = await writeExportDirectory(dir, result.raw).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportWriteError);
    expect((error as Error).message).toMatch(
      /refusing to replace .*home: it holds files that are not part of an export \(notes\.txt\)/,
    );
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a destination that is a file', async () => {
    const file = join(root, 'file');
    await writeFile(file, 'x');
    const { result } = await runCollection();
    await expect(writeExportDirectory(file, result.raw)).rejects.toThrow(/exists and is not a directory/);
  });
});
