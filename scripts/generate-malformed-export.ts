/**
 * An export directory whose `authorization-details.json` holds N malformed role records, for
 * testing and measuring how the scan reports bad input at scale:
 *
 *   npx tsx scripts/generate-malformed-export.ts --roles 2000000 --out bench-data/malformed-2m
 *
 * The records take turns being one of three problems, so the scan reports three grouped gaps:
 * a role with an Arn but no RoleName (a gap on that role), a role whose RoleName is not a string
 * and that has no Arn (a gap on the whole account), and an entry that is not an object.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CREDENTIAL_REPORT_HEADER, rootCredentialLine } from './export-builders';

export interface MalformedExportOptions {
  roles: number;
  accountId?: string;
}

export const MALFORMED_PROBLEMS = 3;

/** The i-th malformed role record, as JSON text. */
export function malformedRoleRecord(i: number, accountId: string): string {
  switch (i % MALFORMED_PROBLEMS) {
    case 0:
      return `{"Arn":"arn:aws:iam::${accountId}:role/r${i}"}`;
    case 1:
      return '{"RoleName":1}';
    default:
      return '1';
  }
}

/** Writes the export; the authorization details are streamed, so any N fits in little memory. */
export async function writeMalformedExport(dir: string, options: MalformedExportOptions): Promise<void> {
  const accountId = options.accountId ?? '123456789012';
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'account.json'),
    `${JSON.stringify({ AccountId: accountId, CollectedAt: '2025-06-01T00:00:00Z' })}\n`,
  );
  const root = rootCredentialLine({
    accountId,
    createdAt: new Date('2020-01-01T00:00:00Z'),
    mfa: true,
    keys: [undefined, undefined],
  });
  await writeFile(join(dir, 'credential-report.csv'), `${CREDENTIAL_REPORT_HEADER}\n${root}\n`);
  const file = await open(join(dir, 'authorization-details.json'), 'w');
  try {
    await file.write('{"UserDetailList":[],"GroupDetailList":[],"Policies":[],"RoleDetailList":[');
    const chunk = 10_000;
    for (let start = 0; start < options.roles; start += chunk) {
      const records: string[] = [];
      for (let i = start; i < Math.min(options.roles, start + chunk); i++) {
        records.push(malformedRoleRecord(i, accountId));
      }
      await file.write(`${start === 0 ? '' : ','}${records.join(',')}`);
    }
    await file.write(']}\n');
  } finally {
    await file.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { roles: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  const roles = Number(values.roles);
  if (values.help || !values.out || !Number.isInteger(roles) || roles < 0) {
    process.stderr.write(
      'usage: npx tsx scripts/generate-malformed-export.ts --roles N --out DIR\n' +
        '  writes an export whose authorization details hold N malformed role records\n',
    );
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  await writeMalformedExport(values.out, { roles });
  process.stdout.write(`wrote ${roles} malformed role records to ${values.out}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
