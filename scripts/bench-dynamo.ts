/**
 * DynamoDB cost of storing scans: write requests, items written and write capacity units of a
 * first scan of the 2,000-role benchmark account (2,500 identities of the synthetic generator),
 * of an unchanged rescan, and of a rescan after 10 roles with findings were deleted. Runs the real
 * scan use case and store against moto's DynamoDB.
 *
 *   npx tsx scripts/bench-dynamo.ts [--identities 2500] [--seed 1]
 *
 * Write units are counted by DynamoDB's sizing rules (the store's estimate: 1 unit per KB, 2 per
 * KB in a transaction, 1 per index entry written); moto reports consumed capacity for single-item
 * writes only and not by size, so its numbers are shown apart. The times are moto's: it copies the
 * whole table for every transaction, which DynamoDB does not. Prints a readable table, then one
 * JSON line (the last line of stdout).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoFindingsStore } from '../functions/adapters/dynamo-findings-store';
import { EventBridgePublisher } from '../functions/adapters/event-publisher';
import { readExportDirectory } from '../functions/adapters/export-reader';
import { createTableInput } from '../functions/core/findings-table';
import type { RawAccountData } from '../functions/core/raw';
import { DEFAULT_SETTINGS } from '../functions/core/settings';
import { type RunScanResult, runScan } from '../functions/use-cases/run-scan';
import { startMoto } from '../test/support/moto';
import { writeExport } from './export-builders';
import { generateExport } from './generate-export';

const TABLE = 'bench-findings';
const BUS = 'bench-bus';
const DELETED_ROLES = 10;

interface Row {
  scenario: string;
  findings: number;
  changes: number;
  writeRequests: number;
  itemWrites: number;
  estimatedWcu: number;
  motoReportedWcu: number;
  readRequests: number;
  putEventsRequests: number;
  ms: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { identities: { type: 'string', default: '2500' }, seed: { type: 'string', default: '1' } },
    strict: true,
  });
  const identities = Number(values.identities);
  const seed = Number(values.seed);
  const data = generateExport({ identities, seed });
  const dir = await mkdtemp(join(tmpdir(), 'iam-posture-bench-dynamo-'));
  const moto = await startMoto();
  try {
    await writeExport(dir, data);
    const raw = await readExportDirectory(dir);
    const dynamo = new DynamoDBClient({ ...moto.clientConfig });
    await dynamo.send(new CreateTableCommand(createTableInput(TABLE)));
    const eventBridge = new EventBridgeClient({ ...moto.clientConfig });
    await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
    let putEventsRequests = 0;
    eventBridge.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutEventsCommand') putEventsRequests++;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'countPutEvents' },
    );

    const rows: Row[] = [];
    const scan = async (scenario: string, input: RawAccountData): Promise<RunScanResult> => {
      putEventsRequests = 0;
      const store = new DynamoFindingsStore(dynamo, TABLE);
      const started = performance.now();
      const result = await runScan(
        {
          collect: async () => ({ raw: input, origin: 'export' }),
          store,
          events: new EventBridgePublisher(eventBridge, { eventBusName: BUS }),
          now: () => new Date(),
          randomSuffix: () => randomBytes(4).toString('hex'),
        },
        { settings: DEFAULT_SETTINGS },
      );
      rows.push({
        scenario,
        findings: result.record.findings.total,
        changes: result.changes.length,
        writeRequests: result.writes.writeRequests,
        itemWrites: result.writes.itemWrites,
        estimatedWcu: result.writes.estimatedWcu,
        motoReportedWcu: result.writes.consumedWcu,
        readRequests: result.writes.readRequests,
        putEventsRequests,
        ms: performance.now() - started,
      });
      return result;
    };

    const first = await scan('first scan', raw);
    await scan('unchanged rescan', raw);
    const withoutRoles = deleteRolesWithFindings(raw, first, DELETED_ROLES);
    await scan(`rescan, ${DELETED_ROLES} roles deleted`, withoutRoles);

    const a = data.authorizationDetails;
    console.log(
      `DynamoDB writes of stored scans: ${a.RoleDetailList.length} roles, ${a.UserDetailList.length} users ` +
        `(generator seed ${seed}), moto ${moto.endpoint}\n`,
    );
    printTable(rows);
    console.log(
      JSON.stringify({ identities, roles: a.RoleDetailList.length, users: a.UserDetailList.length, rows }),
    );
  } finally {
    await moto.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The export without the first `count` roles that have findings: their findings resolve. */
function deleteRolesWithFindings(raw: RawAccountData, scan: RunScanResult, count: number): RawAccountData {
  const withFindings = new Set(
    scan.report.findings.filter((f) => f.resourceType === 'role').map((f) => f.resourceArn),
  );
  const doomed = new Set([...withFindings].sort().slice(0, count));
  const pages = raw.authorizationDetails.map((page) => {
    const roles = (page as { RoleDetailList?: { Arn?: string }[] }).RoleDetailList ?? [];
    return { ...(page as object), RoleDetailList: roles.filter((role) => !doomed.has(role.Arn ?? '')) };
  });
  return { ...raw, authorizationDetails: pages };
}

function printTable(rows: Row[]): void {
  const header = [
    'scenario',
    'findings',
    'changes',
    'write requests',
    'items written',
    'WCU (estimated)',
    'WCU (moto reported)',
    'read requests',
    'PutEvents requests',
    'ms (moto)',
  ];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.findings),
    String(r.changes),
    String(r.writeRequests),
    String(r.itemWrites),
    String(r.estimatedWcu),
    String(r.motoReportedWcu),
    String(r.readRequests),
    String(r.putEventsRequests),
    r.ms.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of cells) console.log(line(row));
}

await main();
