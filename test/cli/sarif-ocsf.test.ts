import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import packageJson from '../../package.json';
import { copyOfDemo, DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto';
import { type Json, ocsfProblems } from '../unit/report/ocsf-spec';
import { sarifValidator } from '../unit/report/sarif-schema';

/** `--format sarif` and `--format ocsf` from the built CLI, as GitHub and a SIEM receive them. */

const DEMO = ['scan', '--export', DEMO_EXPORT, '--config', DEMO_CONFIG];

interface DemoFinding {
  id: string;
  ruleId: string;
  suppression: unknown;
}
let demo: DemoFinding[];
beforeAll(async () => {
  demo = JSON.parse((await runCli([...DEMO, '--format', 'json'])).stdout).findings;
});

const scratch: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of scratch.splice(0)) await cleanup();
});

function jsonLines(text: string): Json[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
}

const info = (event: Json) => event.finding_info as Json;

describe('iam-posture scan --format sarif', () => {
  it('writes a valid SARIF log of the demo: every finding, fingerprinted, the coverage gap visible', async () => {
    const result = await runCli([...DEMO, '--format', 'sarif']);
    expect(result.code, result.stderr).toBe(0);
    const log = JSON.parse(result.stdout);
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);

    const [run] = log.runs;
    expect(run.tool.driver.version).toBe(packageJson.version);
    const results = run.results as Json[];
    expect(results.map((r) => (r.partialFingerprints as Json)['iamPostureFindingId/v1']).sort()).toEqual(
      demo.map((f) => f.id).sort(),
    );
    expect(results.filter((r) => r.suppressions)).toHaveLength(demo.filter((f) => f.suppression).length);
    // old-admin-automation is an unused administrator role: raised to critical, shown so.
    const roleUnused = run.tool.driver.rules.find((r: Json) => r.id === 'role-unused');
    expect(roleUnused.properties['security-severity']).toBe('9.5');
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications).toHaveLength(1);
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toContain(
      'authorization-details.json',
    );
    // The coverage gap still reaches stderr.
    expect(result.stderr).toContain('1 coverage gap');
  });

  it('writes the same log to --output', async () => {
    const copy = await copyOfDemo();
    scratch.push(copy.cleanup);
    const file = join(copy.root, 'report.sarif');
    const result = await runCli([...DEMO, '--format', 'sarif', '--output', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`wrote sarif report to ${file}`);
    expect(await readFile(file, 'utf8')).toBe((await runCli([...DEMO, '--format', 'sarif'])).stdout);
  });
});

describe('iam-posture scan --format ocsf', () => {
  it('writes one conforming Create event per finding as JSON Lines, suppressed ones Suppressed', async () => {
    const result = await runCli([...DEMO, '--format', 'ocsf']);
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events.map((e) => info(e).uid).sort()).toEqual(demo.map((f) => f.id).sort());
    for (const event of events) {
      expect(ocsfProblems(event)).toEqual([]);
      expect(event.activity_id).toBe(1);
      expect(event.metadata).toMatchObject({ version: '1.6.0', product: { version: packageJson.version } });
    }
    const suppressed = new Set(demo.filter((f) => f.suppression).map((f) => f.id));
    for (const event of events)
      expect(event.status).toBe(suppressed.has(info(event).uid as string) ? 'Suppressed' : 'New');
  });
});

describe('an organization export as SARIF and OCSF', () => {
  /** The demo as one account of an organization export, beside an account that was not collected. */
  async function organizationExport(): Promise<string> {
    const copy = await copyOfDemo();
    scratch.push(copy.cleanup);
    const dir = join(copy.root, 'org');
    await mkdir(dir);
    await cp(copy.dir, join(dir, '111122223333'), { recursive: true });
    await writeFile(
      join(dir, 'accounts.json'),
      JSON.stringify([
        { id: '111122223333', name: 'demo' },
        { id: '444455556666', name: 'not-collected' },
      ]),
    );
    return dir;
  }
  const scan = (dir: string, format: string) =>
    runCli(['scan', '--export', dir, '--config', DEMO_CONFIG, '--format', format, '--quiet']);

  it('puts every account in one SARIF run, the account not scanned as a failed-execution notification', async () => {
    const dir = await organizationExport();
    const result = await scan(dir, 'sarif');
    // Exit 4: an account failed; the report is still written.
    expect(result.code, result.stderr).toBe(4);
    const log = JSON.parse(result.stdout);
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.runs).toHaveLength(1);
    const [run] = log.runs;
    expect(run.automationDetails.id).toBe('iam-posture/organization/');
    expect(run.results).toHaveLength(demo.length);
    expect(run.invocations[0].executionSuccessful).toBe(false);
    const notes = run.invocations[0].toolExecutionNotifications.map((n: Json) => (n.message as Json).text);
    expect(notes).toContainEqual(
      expect.stringMatching(
        /^Account 444455556666 was not scanned: failed \(error\): .*444455556666 is missing/,
      ),
    );
    expect(notes).toContainEqual(expect.stringContaining('authorization-details.json'));
    // The outcome table goes to stderr, not into the log.
    expect(result.stderr).toContain('444455556666');
  });

  it("writes every scanned account's findings as OCSF lines", async () => {
    const result = await scan(await organizationExport(), 'ocsf');
    expect(result.code, result.stderr).toBe(4);
    const events = jsonLines(result.stdout);
    expect(events).toHaveLength(demo.length);
    for (const event of events) expect(ocsfProblems(event)).toEqual([]);
  });
});

describe('iam-posture findings --format ocsf', () => {
  const TABLE = 'posture-findings';
  let moto: MotoServer;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
  });

  const cli = (args: string[]) =>
    runCli([...args, '--endpoint-url', moto.endpoint, '--region', MOTO_REGION], {
      env: {
        AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
        AWS_PROFILE: '',
      },
    });
  const listed = async (status: string) => {
    const result = await cli(['findings', '--table', TABLE, '--status', status, '--format', 'ocsf']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const events = result.stdout === '' ? [] : jsonLines(result.stdout);
    for (const event of events) expect(ocsfProblems(event)).toEqual([]);
    return events;
  };

  it('follows the stored lifecycle: Create on first sight, Update on a rescan, Close when resolved', async () => {
    expect((await cli(['table', 'create', '--table', TABLE])).code).toBe(0);
    const first = await cli([...DEMO, '--table', TABLE, '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);

    const opened = await listed('open');
    expect(opened.length).toBe(demo.filter((f) => !f.suppression).length);
    expect(opened.map((e) => [e.activity_id, e.status])).toEqual(opened.map(() => [1, 'New']));
    const suppressed = await listed('suppressed');
    expect(suppressed.map((e) => [e.activity_id, e.status])).toEqual([
      [1, 'Suppressed'],
      [1, 'Suppressed'],
    ]);

    // The next day, without the migration role: its finding resolves, the rest are seen again.
    const copy = await copyOfDemo();
    scratch.push(copy.cleanup);
    const detailsFile = join(copy.dir, 'authorization-details.json');
    const details = JSON.parse(await readFile(detailsFile, 'utf8'));
    details.RoleDetailList = details.RoleDetailList.filter((r: Json) => r.RoleName !== 'migration-2023-ec2');
    await writeFile(detailsFile, JSON.stringify(details));
    const second = await cli([
      'scan',
      '--export',
      copy.dir,
      '--config',
      DEMO_CONFIG,
      '--as-of',
      '2025-06-03T08:00:00Z',
      '--table',
      TABLE,
      '--format',
      'json',
    ]);
    expect(second.code, second.stderr).toBe(0);

    const firstIds = new Set(opened.map((e) => info(e).uid));
    const reopened = await listed('open');
    const seenBefore = reopened.filter((e) => firstIds.has(info(e).uid));
    const MIGRATION_ROLE = 'arn:aws:iam::111122223333:role/migration-2023-ec2';
    const onRemovedRole = opened.filter((e) => (e.resources as Json[])[0]!.uid === MIGRATION_ROLE);
    expect(onRemovedRole.length).toBeGreaterThan(0);
    expect(seenBefore.length).toBe(opened.length - onRemovedRole.length);
    for (const event of seenBefore) {
      expect(event).toMatchObject({ activity_id: 2, type_uid: 200402, status: 'New' });
      expect(info(event).last_seen_time).toBe(Date.parse('2025-06-03T08:00:00Z'));
      expect(info(event).first_seen_time).toBe(Date.parse('2025-06-02T08:00:00Z'));
    }
    for (const event of reopened.filter((e) => !firstIds.has(info(e).uid))) expect(event.activity_id).toBe(1);

    const resolved = await listed('resolved');
    expect(resolved).toHaveLength(onRemovedRole.length);
    expect(resolved.find((e) => (e.unmapped as Json).ruleId === 'role-unused')).toMatchObject({
      activity_id: 3,
      activity_name: 'Close',
      type_uid: 200403,
      status_id: 4,
      status: 'Resolved',
      resources: [{ uid: MIGRATION_ROLE, type: 'AWS::IAM::Role' }],
      unmapped: { ruleId: 'role-unused', status: 'resolved' },
    });
    expect((await listed('suppressed')).map((e) => [e.activity_id, e.status])).toEqual([
      [2, 'Suppressed'],
      [2, 'Suppressed'],
    ]);
  }, 180_000);

  it('refuses --org with --format ocsf: the organization view is counts, not findings', async () => {
    const result = await cli(['findings', '--table', TABLE, '--org', '--format', 'ocsf']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'iam-posture: --org prints per-account counts: --format ocsf lists findings, drop --org',
    );
  });
});
