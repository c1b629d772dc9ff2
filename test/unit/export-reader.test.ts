import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ExportReadError,
  locateJsonError,
  readExportDirectory,
} from '../../functions/adapters/export-reader';
import type { Inventory } from '../../functions/core/model';
import { normalize } from '../../functions/core/normalize';

const FIXTURES = fileURLToPath(new URL('../fixtures/export-shapes/', import.meta.url));
const CLI_OBJECT = join(FIXTURES, 'cli-object');
const API_PAGES = join(FIXTURES, 'api-pages');
const ACCOUNT = '123456789012';

const temporaryDirectories: string[] = [];
afterAll(async () => {
  await Promise.all(temporaryDirectories.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of a fixture directory, with files replaced (string) or removed (null). */
async function exportDir(fixture: string, changes: Record<string, string | null> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iam-posture-export-'));
  temporaryDirectories.push(dir);
  await cp(fixture, dir, { recursive: true });
  for (const [file, content] of Object.entries(changes)) {
    if (content === null) await rm(join(dir, file));
    else await writeFile(join(dir, file), content);
  }
  return dir;
}

async function fixtureText(fixture: string, file: string): Promise<string> {
  return readFile(join(fixture, file), 'utf8');
}

async function readError(dir: string): Promise<ExportReadError> {
  try {
    await readExportDirectory(dir);
  } catch (error) {
    if (error instanceof ExportReadError) return error;
    throw error;
  }
  throw new Error('expected an ExportReadError');
}

/** Line and column (1-based) of `offset` in `text`, computed independently of the reader. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

async function scan(dir: string): Promise<Inventory> {
  return normalize(await readExportDirectory(dir));
}

describe('readExportDirectory', () => {
  describe('AWS CLI output: one object, JSON documents, ISO and epoch timestamps, LF', () => {
    it('reads every file into the raw documents', async () => {
      const raw = await readExportDirectory(CLI_OBJECT);
      expect(raw.authorizationDetailsShape).toBe('object');
      expect(raw.authorizationDetails).toHaveLength(1);
      expect(raw.credentialReport?.startsWith('user,arn,')).toBe(true);
      expect(Object.keys(raw.secrets ?? {})).toEqual(['']);
      expect(raw.secretPolicies).toHaveLength(2);
      expect(raw.serverCertificates).toMatchObject({
        ServerCertificateMetadataList: [{ ServerCertificateName: 'www-example-com' }],
      });
      expect(Object.keys(raw.serviceLastAccessed ?? {})).toEqual([`arn:aws:iam::${ACCOUNT}:role/ci-deploy`]);
      expect(Object.keys(raw.accessKeys ?? {})).toEqual(['ci-bot']);
      expect(raw.account).toEqual({ AccountId: ACCOUNT, CollectedAt: '2025-06-01T00:00:00Z' });
      expect(raw.sources.authorizationDetails).toBe('authorization-details.json');
      expect(raw.coverageGaps).toEqual([]);
    });

    it('normalizes roles, users, groups, keys, secrets and certificates', async () => {
      const inventory = await scan(CLI_OBJECT);
      expect(inventory.accountId).toBe(ACCOUNT);
      expect(inventory.collectedAt).toEqual(new Date('2025-06-01T00:00:00Z'));
      expect(inventory.roles.map((r) => r.name)).toEqual([
        'ci-deploy',
        'AWSServiceRoleForSupport',
        'partner-audit',
      ]);
      expect(inventory.users.map((u) => u.name)).toEqual(['alice', 'ci-bot', '<root_account>']);
      expect(inventory.groups.map((g) => g.name)).toEqual(['developers']);

      const ciDeploy = inventory.roles[0]!;
      expect(ciDeploy.lastUsedAt).toEqual(new Date('2025-05-30T08:15:00Z'));
      expect(ciDeploy.trustPolicy?.statements[0]?.conditions.map((c) => c.key)).toEqual([
        'token.actions.githubusercontent.com:aud',
        'token.actions.githubusercontent.com:sub',
      ]);
      expect(ciDeploy.managedPolicies[0]?.document?.statements[0]?.actions).toEqual([
        'lambda:UpdateFunctionCode',
        'iam:PassRole',
      ]);
      expect(ciDeploy.permissionsBoundary?.name).toBe('workload-boundary');
      expect(ciDeploy.tags['iam-posture:protected']).toBe('true');
      expect(
        ciDeploy.serviceLastAccessed?.services.map((s) => [
          s.namespace,
          s.lastAuthenticatedAt?.toISOString(),
        ]),
      ).toEqual([
        ['s3', '2025-05-30T08:15:00.000Z'],
        ['lambda', undefined],
      ]);
      expect(inventory.roles[2]?.trustPolicy?.statements[0]?.principals).toEqual([
        { kind: 'aws', value: '999999999999' },
      ]);

      const readOnly = inventory.managedPolicies.get('arn:aws:iam::aws:policy/ReadOnlyAccess');
      expect(readOnly).toMatchObject({ name: 'ReadOnlyAccess', awsManaged: true });
      expect(inventory.groups[0]?.managedPolicies[0]).toBe(readOnly);
      expect(inventory.roles[2]?.managedPolicies[0]).toBe(readOnly);
      expect(inventory.users[0]?.groups[0]).toBe(inventory.groups[0]);
    });

    it('makes one access key per slot, with ids matched from access-keys.json', async () => {
      const inventory = await scan(CLI_OBJECT);
      expect(
        inventory.accessKeys.map((k) => [k.userName, k.slot, k.active, k.keyId, k.createdAt?.toISOString()]),
      ).toEqual([
        ['<root_account>', 1, true, undefined, '2019-01-02T00:00:00.000Z'],
        ['alice', 1, true, undefined, '2024-11-20T08:00:00.000Z'],
        ['ci-bot', 1, true, 'AKIACIBOTNEWKEY00001', '2024-01-05T07:30:00.000Z'],
        ['ci-bot', 2, false, 'AKIACIBOTOLDKEY00002', '2021-06-10T12:01:00.000Z'],
      ]);
      const root = inventory.users.find((u) => u.isRoot)!;
      expect(root.arn).toBe(`arn:aws:iam::${ACCOUNT}:root`);
      expect(root.credentials).toMatchObject({ passwordEnabled: false, mfaActive: true });
      expect(root.credentials?.passwordLastUsedAt).toEqual(new Date('2025-04-02T11:00:00Z'));
      const alice = inventory.users[0]!;
      expect(alice.credentials?.passwordEnabled).toBe(true);
      expect(alice.credentials?.passwordLastUsedAt).toBeUndefined();
    });

    it('reads secrets with epoch-second and ISO dates and their resource policies', async () => {
      const inventory = await scan(CLI_OBJECT);
      const [prod, legacy] = inventory.secrets;
      expect(prod).toMatchObject({
        name: 'prod/db',
        region: 'eu-west-1',
        rotationEnabled: true,
        rotationIntervalDays: 30,
        createdAt: new Date(1600000000 * 1000),
        lastRotatedAt: new Date(1745000000123),
        lastAccessedAt: new Date(1748649600 * 1000),
        policyState: 'absent',
        tags: { env: 'prod' },
      });
      expect(legacy).toMatchObject({
        name: 'legacy/api-token',
        rotationEnabled: false,
        createdAt: new Date('2022-08-01T10:00:00Z'),
        policyState: 'present',
      });
      expect(legacy?.resourcePolicy?.statements[0]?.principals).toEqual([{ kind: 'any' }]);
      expect(inventory.serverCertificates[0]?.expiresAt).toEqual(new Date('2025-06-20T23:59:59Z'));
    });

    it('reports only the AWS managed policy missing from Policies', async () => {
      const inventory = await scan(CLI_OBJECT);
      expect(inventory.coverageGaps).toEqual([
        expect.objectContaining({
          arn: 'arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy',
          category: 'Missing',
          source: 'authorization-details.json',
        }),
      ]);
    });
  });

  describe('raw API shapes: page arrays, URL-encoded documents, epoch timestamps, CRLF', () => {
    it('reads an array of pages with URL-encoded policy documents', async () => {
      const raw = await readExportDirectory(API_PAGES);
      expect(raw.authorizationDetailsShape).toBe('pages');
      expect(raw.authorizationDetails).toHaveLength(2);
      const inventory = normalize(raw);
      expect(inventory.accountId).toBe(ACCOUNT);
      expect(inventory.collectedAt).toBeUndefined();
      const role = inventory.roles[0]!;
      expect(role).toMatchObject({
        name: 'image-resizer',
        path: '/service/',
        createdAt: new Date(1672531200 * 1000),
        lastUsedAt: new Date(1717200000 * 1000),
        lastUsedRegion: 'us-west-2',
      });
      expect(role.trustPolicy?.statements[0]?.principals).toEqual([
        { kind: 'service', value: 'lambda.amazonaws.com' },
        { kind: 'service', value: 'edgelambda.amazonaws.com' },
      ]);
      expect(role.inlinePolicies[0]?.document.statements[0]?.conditions[0]?.values).toEqual([
        'team+infra@example.com',
      ]);
      expect(role.managedPolicies[0]).toMatchObject({ name: 's3-guard', awsManaged: false });
      expect(role.managedPolicies[0]?.document?.statements[0]).toMatchObject({
        effect: 'Deny',
        notActions: ['s3:*'],
        notResources: ['arn:aws:s3:::public/*'],
      });
      const uploader = inventory.users.find((u) => u.name === 'report-uploader')!;
      expect(uploader.groups.map((g) => g.name)).toEqual(['uploaders']);
      expect(uploader.groups[0]?.inlinePolicies[0]?.document.statements[0]?.actions).toEqual([
        's3:PutObject',
      ]);
    });

    it('reads a CRLF credential report exactly like an LF one', async () => {
      const lf = await fixtureText(API_PAGES, 'credential-report.csv');
      const dir = await exportDir(API_PAGES, { 'credential-report.csv': lf.replace(/\n/g, '\r\n') });
      expect(await fixtureText(dir, 'credential-report.csv')).toContain('\r\n');
      const crlf = await scan(dir);
      expect(crlf).toEqual(await scan(API_PAGES));
      expect(crlf.accessKeys.map((k) => [k.userName, k.slot, k.active, k.lastUsedService])).toEqual([
        ['report-uploader', 1, true, undefined],
        ['report-uploader', 2, true, 's3'],
      ]);
    });

    it('takes the region of secrets from the region map and leaves policies unknown without secret-policies.json', async () => {
      const inventory = await scan(API_PAGES);
      expect(inventory.secrets).toEqual([
        expect.objectContaining({
          name: 'reports/upload-key',
          region: 'eu-central-1',
          rotationEnabled: false,
          createdAt: new Date(1700000000 * 1000),
          policyState: 'unknown',
        }),
      ]);
      expect(inventory.coverageGaps).toEqual([
        expect.objectContaining({
          source: 'secret-policies.json',
          category: 'Missing',
          arn: `arn:aws:iam::${ACCOUNT}:root`,
        }),
      ]);
    });

    it('accepts a byte order mark and a single get-resource-policy output', async () => {
      const details = await fixtureText(CLI_OBJECT, 'authorization-details.json');
      const dir = await exportDir(CLI_OBJECT, {
        'authorization-details.json': `\uFEFF${details}`,
        'secret-policies.json': JSON.stringify({
          ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf',
          Name: 'prod/db',
        }),
      });
      const inventory = await scan(dir);
      expect(inventory.roles).toHaveLength(3);
      expect(inventory.secrets.map((s) => s.policyState)).toEqual(['absent', 'unknown']);
    });

    it('treats absent optional files as not provided', async () => {
      const dir = await exportDir(CLI_OBJECT, {
        'secrets.json': null,
        'secret-policies.json': null,
        'server-certificates.json': null,
        'service-last-accessed.json': null,
        'access-keys.json': null,
        'account.json': null,
      });
      const raw = await readExportDirectory(dir);
      expect(raw.secrets).toBeUndefined();
      expect(raw.secretPolicies).toBeUndefined();
      expect(raw.serverCertificates).toBeUndefined();
      expect(raw.serviceLastAccessed).toBeUndefined();
      expect(raw.accessKeys).toBeUndefined();
      expect(raw.account).toBeUndefined();
      expect(raw.coverageGaps).toEqual([]);
      const inventory = normalize(raw);
      expect(inventory.accountId).toBe(ACCOUNT);
      expect(inventory.accessKeys.length).toBeGreaterThan(0);
      expect(inventory.accessKeys.every((k) => k.keyId === undefined)).toBe(true);
    });
  });

  describe('organization.json', () => {
    it('reads the describe-organization output as the account’s organization', async () => {
      const output = {
        Organization: {
          Id: 'o-abc1234567',
          Arn: 'arn:aws:organizations::444455556666:organization/o-abc1234567',
          FeatureSet: 'ALL',
          MasterAccountArn: 'arn:aws:organizations::444455556666:account/o-abc1234567/444455556666',
          MasterAccountId: '444455556666',
          MasterAccountEmail: 'aws@example.com',
          AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
        },
      };
      const dir = await exportDir(CLI_OBJECT, { 'organization.json': JSON.stringify(output, null, 2) });
      const raw = await readExportDirectory(dir);
      expect(raw.organization).toEqual(output);
      const inventory = normalize(raw);
      expect(inventory.organization).toEqual({
        status: 'member',
        id: 'o-abc1234567',
        managementAccountId: '444455556666',
      });
      expect(inventory.coverageGaps.filter((g) => g.source === 'organization.json')).toEqual([]);
    });

    it('reads {"Organization": null} as an account in no organization, and no file as unknown', async () => {
      const none = await scan(await exportDir(CLI_OBJECT, { 'organization.json': '{"Organization": null}' }));
      expect(none.organization).toEqual({ status: 'none' });
      const absent = await scan(await exportDir(CLI_OBJECT));
      expect(absent.organization).toBeUndefined();
      expect(absent.coverageGaps.filter((g) => g.source === 'organization.json')).toEqual([]);
    });
  });

  describe('required input errors', () => {
    it('names a directory that does not exist', async () => {
      const error = await readError(join(tmpdir(), 'iam-posture-no-such-export'));
      expect(error.message).toContain('iam-posture-no-such-export');
      expect(error.message).toContain('ENOENT');
      expect(error.name).toBe('ExportReadError');
    });

    it.each(['authorization-details.json', 'credential-report.csv'])(
      'names the missing required file %s',
      async (file) => {
        const error = await readError(await exportDir(CLI_OBJECT, { [file]: null }));
        expect(error.file).toBe(file);
        expect(error.message).toContain(`${file} is missing`);
      },
    );

    it('names the file, line and column of truncated JSON', async () => {
      const text = await fixtureText(CLI_OBJECT, 'authorization-details.json');
      const truncated = text.slice(0, text.indexOf('"RoleDetailList"') + 40);
      const error = await readError(await exportDir(CLI_OBJECT, { 'authorization-details.json': truncated }));
      const where = lineColumn(truncated, truncated.length);
      expect(error.file).toBe('authorization-details.json');
      expect(error.location).toBe(where);
      expect(error.message).toContain(`authorization-details.json ${where}: invalid JSON`);
      expect(error.message).toMatch(/truncated/);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });

    it('points at a missing comma in the middle of the file', async () => {
      const text = await fixtureText(CLI_OBJECT, 'authorization-details.json');
      const broken = text.replace('"UserId": "AIDACIBOTEXAMPLE00002",', '"UserId": "AIDACIBOTEXAMPLE00002"');
      expect(broken).not.toBe(text);
      const next = broken.indexOf('"Arn"', broken.indexOf('AIDACIBOTEXAMPLE00002'));
      const error = await readError(await exportDir(CLI_OBJECT, { 'authorization-details.json': broken }));
      expect(error.location).toBe(lineColumn(broken, next));
      expect(error.message).toContain("expected ',' or '}' after a property value");
    });

    it('rejects JSON that is not authorization details', async () => {
      const error = await readError(
        await exportDir(CLI_OBJECT, {
          'authorization-details.json': JSON.stringify({ Roles: [], IsTruncated: false }),
        }),
      );
      expect(error.location).toBe('$');
      expect(error.message).toContain('not get-account-authorization-details output');
      const pages = await readError(
        await exportDir(CLI_OBJECT, {
          'authorization-details.json': JSON.stringify([{ RoleDetailList: [] }, 'x']),
        }),
      );
      expect(pages.location).toBe('$[1]');
    });

    it('names the column of a wrong credential report header', async () => {
      const csv = await fixtureText(CLI_OBJECT, 'credential-report.csv');
      const error = await readError(
        await exportDir(CLI_OBJECT, {
          'credential-report.csv': csv.replace('access_key_1_last_rotated', 'access_key_1_rotated'),
        }),
      );
      expect(error.file).toBe('credential-report.csv');
      expect(error.location).toBe('line 1, column "access_key_1_last_rotated"');
      expect(error.message).toContain('no "access_key_1_last_rotated" column');
    });

    it('rejects a credential report still base64-encoded', async () => {
      const csv = await fixtureText(CLI_OBJECT, 'credential-report.csv');
      const error = await readError(
        await exportDir(CLI_OBJECT, { 'credential-report.csv': Buffer.from(csv).toString('base64') }),
      );
      expect(error.message).toContain('no "user" column');
      expect(error.message).toContain('decoded output of aws iam get-credential-report');
    });

    it.each([
      ['an AccountId without quotes', '{ "AccountId": 123456789012 }', '$.AccountId'],
      ['a short AccountId', '{ "AccountId": "12345" }', '$.AccountId'],
      [
        'a CollectedAt that is not a date',
        '{ "AccountId": "123456789012", "CollectedAt": "last Tuesday" }',
        '$.CollectedAt',
      ],
      ['a CollectedAt in the wrong format', '{ "CollectedAt": "06/01/2025 10:00" }', '$.CollectedAt'],
      ['an array', '[]', '$'],
    ])('names the key of account.json with %s', async (_label, content, location) => {
      const error = await readError(await exportDir(CLI_OBJECT, { 'account.json': content }));
      expect(error.file).toBe('account.json');
      expect(error.location).toBe(location);
      expect(error.message).toContain(location === '$' ? 'account.json' : location);
    });

    it('accepts epoch seconds for CollectedAt', async () => {
      const dir = await exportDir(CLI_OBJECT, {
        'account.json': '{ "AccountId": "123456789012", "CollectedAt": 1748736000 }',
      });
      expect((await scan(dir)).collectedAt).toEqual(new Date('2025-06-01T00:00:00Z'));
    });
  });

  describe('malformed optional files and records', () => {
    it('turns a truncated optional file into a gap naming the file and place, and reads the rest', async () => {
      const secrets = await fixtureText(CLI_OBJECT, 'secrets.json');
      const truncated = secrets.slice(0, 200);
      const dir = await exportDir(CLI_OBJECT, {
        'secrets.json': truncated,
        'server-certificates.json': '{"a": nope}',
      });
      const inventory = await scan(dir);
      expect(inventory.secrets).toEqual([]);
      expect(inventory.roles).toHaveLength(3);
      expect(inventory.serverCertificates).toEqual([]);
      const gaps = inventory.coverageGaps.filter((g) => g.category === 'Malformed');
      expect(gaps).toEqual([
        expect.objectContaining({
          source: 'secrets.json',
          arn: `arn:aws:iam::${ACCOUNT}:root`,
          accountId: ACCOUNT,
          detail: lineColumn(truncated, truncated.length),
        }),
        expect.objectContaining({ source: 'server-certificates.json', detail: 'line 1, column 7' }),
      ]);
      expect(gaps[0]?.reason).toMatch(
        /^secrets\.json is not valid JSON \(.*truncated.*\); its contents were not analysed\.$/,
      );
    });

    it('records an optional file that cannot be read', async () => {
      const dir = await exportDir(CLI_OBJECT, { 'access-keys.json': null });
      await mkdir(join(dir, 'access-keys.json'));
      const raw = await readExportDirectory(dir);
      expect(raw.accessKeys).toBeUndefined();
      expect(raw.coverageGaps).toEqual([
        expect.objectContaining({
          source: 'access-keys.json',
          category: 'Unreadable',
          reason: expect.stringContaining('EISDIR'),
        }),
      ]);
    });

    it('records optional files of the wrong shape', async () => {
      const dir = await exportDir(CLI_OBJECT, {
        'secrets.json': '"secrets"',
        'secret-policies.json': '{"Policies": []}',
        'service-last-accessed.json': '[]',
      });
      const raw = await readExportDirectory(dir);
      expect(raw.coverageGaps.map((g) => [g.source, g.detail])).toEqual([
        ['secrets.json', '$'],
        ['secret-policies.json', '$'],
        ['service-last-accessed.json', '$'],
      ]);
    });

    it.each([
      ['not JSON', '{"Organization": {', 'line 1, column 19', /^organization\.json is not valid JSON /],
      ['not an object', '"o-abc1234567"', '$', /^The organization document is not an object; /],
      [
        'an organization id that is not one',
        '{"Organization": {"Id": "org-1"}}',
        '$.Organization.Id',
        /^Organization\.Id is "org-1", not an organization id like o-abc1234567; /,
      ],
    ])(
      'turns an organization.json that is %s into a gap naming the file, and reads the rest',
      async (_label, text, detail, reason) => {
        const inventory = await scan(await exportDir(CLI_OBJECT, { 'organization.json': text }));
        expect(inventory.organization).toBeUndefined();
        expect(inventory.roles).toHaveLength(3);
        expect(inventory.secrets.length).toBeGreaterThan(0);
        expect(inventory.coverageGaps.filter((g) => g.source === 'organization.json')).toEqual([
          expect.objectContaining({
            source: 'organization.json',
            category: 'Malformed',
            arn: `arn:aws:iam::${ACCOUNT}:root`,
            detail,
            reason: expect.stringMatching(reason),
          }),
        ]);
      },
    );

    it('keeps a role with an unparsable trust policy and records the path inside the file', async () => {
      const details = JSON.parse(await fixtureText(CLI_OBJECT, 'authorization-details.json'));
      details.RoleDetailList[2].AssumeRolePolicyDocument.Statement[0].Effect = 'Permit';
      const dir = await exportDir(CLI_OBJECT, {
        'authorization-details.json': JSON.stringify(details, null, 2),
      });
      const inventory = await scan(dir);
      const role = inventory.roles.find((r) => r.name === 'partner-audit')!;
      expect(role.trustPolicy).toBeUndefined();
      expect(role.managedPolicies[0]?.name).toBe('ReadOnlyAccess');
      expect(inventory.coverageGaps).toContainEqual(
        expect.objectContaining({
          arn: `arn:aws:iam::${ACCOUNT}:role/partner-audit`,
          source: 'authorization-details.json',
          category: 'Malformed',
          detail: '$.RoleDetailList[2].AssumeRolePolicyDocument.Statement[0].Effect',
        }),
      );
    });

    it('records dates in the wrong format and still analyses the other records', async () => {
      const details = JSON.parse(await fixtureText(CLI_OBJECT, 'authorization-details.json'));
      details.RoleDetailList[0].CreateDate = '15/01/2023 10:00';
      const csv = await fixtureText(CLI_OBJECT, 'credential-report.csv');
      const dir = await exportDir(CLI_OBJECT, {
        'authorization-details.json': JSON.stringify(details),
        'credential-report.csv': csv.replace('2024-11-20T08:00:00+00:00', '20.11.2024'),
      });
      const inventory = await scan(dir);
      expect(inventory.roles.map((r) => r.name)).toEqual(['AWSServiceRoleForSupport', 'partner-audit']);
      expect(inventory.accessKeys.map((k) => k.userName)).toEqual(['<root_account>', 'ci-bot', 'ci-bot']);
      const malformed = inventory.coverageGaps.filter((g) => g.category === 'Malformed');
      expect(malformed.map((g) => [g.source, g.arn, g.detail])).toEqual([
        [
          'authorization-details.json',
          `arn:aws:iam::${ACCOUNT}:role/ci-deploy`,
          '$.RoleDetailList[0].CreateDate',
        ],
        ['credential-report.csv', `arn:aws:iam::${ACCOUNT}:user/alice`, 'line 3'],
      ]);
      expect(malformed[1]?.reason).toContain('"20.11.2024"');
    });
  });
});

describe('locateJsonError', () => {
  it.each([
    ['{"a": 1,}', 1, 9, 'expected a double-quoted property name'],
    ['{\n  "a": tru\n}', 2, 8, 'unexpected character "t"'],
    ['[1,\n2\n3]', 3, 1, "expected ',' or ']'"],
    ['{"a": "line\nbreak"}', 1, 12, 'unescaped control character'],
    ['{"a": 1} x', 1, 10, 'after the end of the JSON value'],
    ['', 1, 1, 'unexpected end of input'],
  ])('locates the error in %j', (text, line, column, problem) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    const found = locateJsonError(text);
    expect([found.line, found.column]).toEqual([line, column]);
    expect(found.problem).toContain(problem);
  });

  it('counts CRLF lines like LF lines', () => {
    const found = locateJsonError('{\r\n  "a": 1\r\n  "b": 2\r\n}');
    expect([found.line, found.column]).toEqual([3, 3]);
  });
});
