import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMalformedExport } from '../../scripts/generate-malformed-export';
import { runCli } from '../support/cli';

const RECORDS = 5_000;
/** Every third record has an Arn and no RoleName; every third has neither; every third is a number. */
const NAMED_BY_ARN = Math.ceil(RECORDS / 3);
const NO_NAME = Math.ceil((RECORDS - 1) / 3) + NAMED_BY_ARN;
const NOT_AN_OBJECT = RECORDS - NO_NAME;

interface CoverageEntry {
  source: string;
  detail: string | null;
  count: number;
  places: string[];
  resources: string[];
  resourcesOverflow: boolean;
}

let root: string;
let dir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'iam-posture-malformed-'));
  dir = join(root, 'export');
  await writeMalformedExport(dir, { roles: RECORDS });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe(`iam-posture scan on ${RECORDS} malformed role records`, () => {
  it('reports one grouped gap per problem in JSON, with its count, first places and resources', async () => {
    const output = join(root, 'report.json');
    const result = await runCli(['scan', '--export', dir, '--format', 'json', '--output', output]);
    expect(result.code).toBe(0);
    const text = await readFile(output, 'utf8');
    expect(text.length).toBeLessThan(100_000);
    const report = JSON.parse(text) as { coverage: CoverageEntry[]; findings: { ruleId: string }[] };
    expect(report.coverage.map((gap) => [gap.detail, gap.count])).toEqual([
      ['$.RoleDetailList[*].RoleName', NO_NAME],
      ['$.RoleDetailList[*]', NOT_AN_OBJECT],
    ]);
    const [noName] = report.coverage;
    expect(noName!.places).toEqual([0, 1, 3, 4, 6].map((i) => `$.RoleDetailList[${i}].RoleName`));
    // Records without an Arn are about the whole account: the gap weighs on all roles.
    expect(noName!.resources).toContain('arn:aws:iam::123456789012:root');
    expect(noName!.resources.length).toBeLessThanOrEqual(1000);
    expect(noName!.resourcesOverflow).toBe(true);
    expect(report.findings.filter((f) => f.ruleId === 'scan-coverage-gap')).toHaveLength(2);
    expect(result.stderr).toContain(
      `warning: 2 coverage gaps (seen ${RECORDS} times) in authorization-details.json (2)`,
    );
  });

  it('prints each gap once in the table, with the resources it touches', async () => {
    const result = await runCli(['scan', '--export', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeLessThan(10_000);
    expect(result.stdout).toContain(
      `  authorization-details.json ($.RoleDetailList[*].RoleName), ${NO_NAME} times: Role arn:aws:iam::123456789012:role/r0 has no valid RoleName; it was not analysed.`,
    );
    expect(result.stdout).toContain('    touches the whole account');
    expect(result.stdout.match(/has no valid RoleName/g)).toHaveLength(2);
  });
});
