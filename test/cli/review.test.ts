import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

/** `iam-posture review` against moto: start a campaign from the demo export, show it, export it. */

const TABLE = 'posture-reviews';
const DEMO_ACCOUNT = '111122223333';

let moto: MotoServer;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  dir = await mkdtemp(join(tmpdir(), 'iam-posture-review-'));
});

afterAll(async () => {
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
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
      USER: 'ops',
    },
  });

async function startDemo(extra: string[] = []) {
  expect((await cli(['table', 'create', '--table', TABLE])).code).toBe(0);
  const started = await cli([
    'review',
    'start',
    '--export',
    DEMO_EXPORT,
    '--config',
    DEMO_CONFIG,
    '--table',
    TABLE,
    ...extra,
  ]);
  expect(started.code, started.stderr).toBe(0);
  const id = /Started review campaign (\S+):/.exec(started.stdout)?.[1];
  expect(id).toMatch(new RegExp(`^manual\\.\\d{8}T\\d{6}Z\\.${DEMO_ACCOUNT}$`));
  return { id: id!, stdout: started.stdout };
}

describe('iam-posture review', () => {
  it('starts a campaign of the demo account, lists it, and shows each owner unanswered', async () => {
    const { id, stdout } = await startDemo();
    const count = Number(/: (\d+) identities for (\d+) owners/.exec(stdout)?.[1]);
    expect(count).toBeGreaterThan(3);

    const list = await cli(['review', 'status', '--table', TABLE, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const campaigns = JSON.parse(list.stdout);
    expect(campaigns).toHaveLength(1);
    expect(campaigns[0]).toMatchObject({
      campaignId: id,
      state: 'open',
      scope: 'manual',
      itemCount: count,
      startedBy: { kind: 'cli', id: 'ops' },
    });

    const status = await cli(['review', 'status', id, '--table', TABLE, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout);
    expect(shown.identities).toHaveLength(count);
    expect(shown.owners.reduce((sum: number, o: { unanswered: number }) => sum + o.unanswered, 0)).toBe(
      count,
    );
    expect(
      shown.identities.every(
        (i: { answer: string; overdue: boolean }) => i.answer === 'unanswered' && !i.overdue,
      ),
    ).toBe(true);

    const text = await cli(['review', 'status', id, '--table', TABLE]);
    expect(text.stdout).toContain(`${id}  open  scope manual  ${count} identities`);
  });

  it('keeps only admin-equivalent identities with --scope admin-equivalent', async () => {
    const all = await startDemo();
    const allCount = Number(/: (\d+) identities/.exec(all.stdout)?.[1]);
    const admin = await cli([
      'review',
      'start',
      '--export',
      DEMO_EXPORT,
      '--config',
      DEMO_CONFIG,
      '--table',
      TABLE,
      '--scope',
      'admin-equivalent',
    ]);
    expect(admin.code, admin.stderr).toBe(0);
    const adminCount = Number(/: (\d+) identities/.exec(admin.stdout)?.[1]);
    expect(adminCount).toBeGreaterThan(0);
    expect(adminCount).toBeLessThan(allCount);
  });

  it('exports the evidence as CSV and JSON', async () => {
    const { id } = await startDemo();
    const csv = await cli(['review', 'export', id, '--table', TABLE, '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^campaignId,campaignScope,campaignStartedAt,/);
    expect(lines.slice(1).every((line) => line.startsWith(`${id},manual,`))).toBe(true);
    expect(lines.slice(1).every((line) => line.includes(',unanswered,'))).toBe(true);

    const out = join(dir, 'evidence.json');
    const json = await cli(['review', 'export', id, '--table', TABLE, '--format', 'json', '--out', out]);
    expect(json.code, json.stderr).toBe(0);
    const evidence = JSON.parse(await readFile(out, 'utf8'));
    expect(evidence.campaign.campaignId).toBe(id);
    expect(evidence.items).toHaveLength(lines.length - 1);
    expect(json.stderr).toContain(`wrote the evidence of ${lines.length - 1} identities to ${out}`);
  });

  it('names a campaign that does not exist, and a missing table flag', async () => {
    expect((await cli(['table', 'create', '--table', TABLE])).code).toBe(0);
    const missing = await cli(['review', 'export', 'quarterly.2026-Q2.111122223333', '--table', TABLE]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      `iam-posture: no review campaign quarterly.2026-Q2.111122223333 in table ${TABLE}`,
    );
    const noTable = await runCli(['review', 'status'], { env: { IAM_POSTURE_TABLE: '' } });
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain('review needs --table NAME');
  });
});
