/**
 * What scanning an organization costs per month, from list prices and the shape of the state
 * machine, next to the managed unused-access analyzer's price for the same identities. The cost
 * tables of README.md ("Organization deployment" > "Cost") and BENCHMARKS.md ("org-cost") are
 * generated from here, between `<!-- generated:org-cost... -->` markers, so they cannot drift.
 *
 *   npx tsx scripts/org-cost.ts                        print the tables for the default assumptions
 *   npx tsx scripts/org-cost.ts --identities 1000 --seconds 60 --accounts 10,100,1000
 *   npx tsx scripts/org-cost.ts --json                 the same, as JSON
 *   npx tsx scripts/org-cost.ts --write                rewrite README.md and BENCHMARKS.md
 *   npx tsx scripts/org-cost.ts --check                exit 1 if either is out of date
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { normalizeTables } from './readme-catalog';

// ----------------------------------------------------------------------------------------- prices

/** `usd` dollars per `quantity` units, as the pricing page quotes it. */
export interface Price {
  usd: number;
  quantity: number;
  unit: string;
  source: string;
}

/** Dollars per single unit. */
export function unitPrice(price: Price): number {
  return price.usd / price.quantity;
}

/**
 * Public on-demand list prices, us-east-1, before the free tier. The functions run on arm64
 * (lib/constructs/posture-function.ts), hence the arm64 Lambda price. DynamoDB is the on-demand
 * price since the reduction of 1 November 2024.
 */
export const PRICES_CHECKED = { checkedOn: '2026-12-02', region: 'us-east-1' } as const;

const STEP_FUNCTIONS = 'https://aws.amazon.com/step-functions/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const S3 = 'https://aws.amazon.com/s3/pricing/';

export const PRICES = {
  stepFunctionsTransition: {
    usd: 0.025,
    quantity: 1000,
    unit: 'state transitions (Standard)',
    source: STEP_FUNCTIONS,
  },
  lambdaGbSecond: { usd: 0.0000133334, quantity: 1, unit: 'GB-second (arm64)', source: LAMBDA },
  lambdaRequest: { usd: 0.2, quantity: 1e6, unit: 'requests', source: LAMBDA },
  dynamoWrite: { usd: 0.625, quantity: 1e6, unit: 'write request units (on-demand)', source: DYNAMODB },
  dynamoRead: { usd: 0.125, quantity: 1e6, unit: 'read request units (on-demand)', source: DYNAMODB },
  dynamoStorageGbMonth: {
    usd: 0.25 + 0.2,
    quantity: 1,
    unit: 'GB-month (storage $0.25 + point-in-time recovery $0.20)',
    source: DYNAMODB,
  },
  s3Put: { usd: 0.005, quantity: 1000, unit: 'PUT requests (S3 Standard)', source: S3 },
  s3Get: { usd: 0.0004, quantity: 1000, unit: 'GET requests (S3 Standard)', source: S3 },
  eventBridgeEvent: {
    usd: 1,
    quantity: 1e6,
    unit: 'custom events published',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
  },
  accessAnalyzerIdentityMonth: {
    usd: 0.2,
    quantity: 1,
    unit: 'IAM role or user analyzed per month (unused access analyzer)',
    source: 'https://aws.amazon.com/iam/access-analyzer/pricing/',
  },
} as const satisfies Record<string, Price>;

export type Prices = Record<keyof typeof PRICES, Price>;

// ------------------------------------------------------------------------------------ assumptions

export interface Assumptions {
  /** Roles and users per account; all assumed to hold policies (every one needs a last-accessed job). */
  identitiesPerAccount: number;
  scansPerMonth: number;
  lambdaMemoryMb: number;
  /** Duration of one scan-account invocation. */
  scanSecondsPerAccount: number;
  /** Extra scan-account invocations of an account that checkpoints (0: it finishes in one). */
  continuationsPerAccount: number;
  /** Discover and Aggregate, together, per run, plus Aggregate's reading of each outcome. */
  orchestrationSeconds: number;
  aggregateSecondsPerAccount: number;
  /** Stored findings per identity (open ones, plus recently resolved). */
  findingsPerIdentity: number;
  /** Share of findings changing state per daily scan. */
  findingChangeRate: number;
  /** A changed finding: 2 KB item in a transaction (4 WRU) + 3 key-only index writes. */
  wruPerChangedFinding: number;
  /** The scan record and the account state item, per scan. */
  wruPerScan: number;
  findingKb: number;
  scanRecordKb: number;
  scanRecordRetentionDays: number;
  /** A service-last-accessed result is reused this many days, so 1/(days+1) is refreshed per scan. */
  lastAccessedReuseDays: number;
  /** Per-scan job budget (SERVICE_LAST_ACCESSED_MAX_JOBS). */
  lastAccessedMaxJobs: number;
  /** A cached result, gzip-compressed. */
  lastAccessedItemKb: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  identitiesPerAccount: 300,
  scansPerMonth: 30,
  lambdaMemoryMb: 1024,
  scanSecondsPerAccount: 20,
  continuationsPerAccount: 0,
  orchestrationSeconds: 5,
  aggregateSecondsPerAccount: 0.02,
  findingsPerIdentity: 1,
  findingChangeRate: 0.02,
  wruPerChangedFinding: 7,
  wruPerScan: 25,
  findingKb: 2,
  scanRecordKb: 2,
  scanRecordRetentionDays: 400,
  lastAccessedReuseDays: 7,
  lastAccessedMaxJobs: 100,
  lastAccessedItemKb: 2,
};

export const DEFAULT_ACCOUNTS = [10, 100, 1000] as const;

/**
 * State transitions, from the state machine's shape: a run enters Discover, the Distributed Map
 * and Aggregate; each account is one child execution entering ScanAccount, the Choice and Succeed,
 * plus the item's own start; each continuation enters ScanAccount and the Choice once more.
 * Retries of throttled Lambda calls add one each and are not counted here.
 */
export const TRANSITIONS = { perRun: 3, perAccount: 4, perContinuation: 2 } as const;

/**
 * S3 requests: Discover writes the account list, the Map's ItemReader reads it, its ResultWriter
 * writes a manifest and result files (about 3), Aggregate reads the list and writes run.json; each
 * account's outcome is written once and read once by Aggregate; a checkpoint is written and read
 * back once per continuation.
 */
export const S3_REQUESTS = {
  putsPerRun: 5,
  getsPerRun: 2,
  putsPerAccount: 1,
  getsPerAccount: 1,
  putsPerContinuation: 1,
  getsPerContinuation: 1,
} as const;

// ----------------------------------------------------------------------------------------- model

export interface Usage {
  transitions: number;
  lambdaGbSeconds: number;
  lambdaRequests: number;
  dynamoWru: number;
  dynamoRru: number;
  dynamoStorageGb: number;
  s3Puts: number;
  s3Gets: number;
  events: number;
  identities: number;
}

export interface Cost {
  accounts: number;
  usage: Usage;
  usd: {
    stepFunctions: number;
    lambda: number;
    dynamo: number;
    s3: number;
    eventBridge: number;
    total: number;
    accessAnalyzer: number;
  };
}

/** Service-last-accessed results refreshed (so cache rows written) per scan of one account. */
export function lastAccessedRefreshedPerScan(a: Assumptions): number {
  return Math.min(a.lastAccessedMaxJobs, a.identitiesPerAccount / (a.lastAccessedReuseDays + 1));
}

/** Monthly usage of scanning `accounts` accounts `scansPerMonth` times. */
export function monthlyUsage(accounts: number, a: Assumptions = DEFAULT_ASSUMPTIONS): Usage {
  const runs = a.scansPerMonth;
  const scans = accounts * runs;
  const invocationsPerAccount = 1 + a.continuationsPerAccount;
  const gb = a.lambdaMemoryMb / 1024;
  const findings = a.identitiesPerAccount * a.findingsPerIdentity;
  const changed = findings * a.findingChangeRate;
  const refreshed = lastAccessedRefreshedPerScan(a);
  const wruPerAccountScan =
    changed * a.wruPerChangedFinding + a.wruPerScan + refreshed * Math.ceil(a.lastAccessedItemKb);
  // The findings partition, strongly consistent (1 RRU per 4 KB); the cache, eventually (half).
  const rruPerAccountScan =
    (findings * a.findingKb) / 4 + (a.identitiesPerAccount * a.lastAccessedItemKb) / 4 / 2;
  const kbPerAccount =
    findings * a.findingKb +
    a.identitiesPerAccount * a.lastAccessedItemKb +
    // Scan records kept for the retention period, at this schedule (runs per 30 days).
    a.scanRecordRetentionDays * (runs / 30) * a.scanRecordKb;
  return {
    transitions:
      runs * TRANSITIONS.perRun +
      scans * (TRANSITIONS.perAccount + a.continuationsPerAccount * TRANSITIONS.perContinuation),
    lambdaGbSeconds:
      gb *
      (scans * invocationsPerAccount * a.scanSecondsPerAccount +
        runs * (a.orchestrationSeconds + accounts * a.aggregateSecondsPerAccount)),
    lambdaRequests: scans * invocationsPerAccount + runs * 2,
    dynamoWru: scans * wruPerAccountScan,
    dynamoRru: scans * rruPerAccountScan,
    dynamoStorageGb: (accounts * kbPerAccount) / (1024 * 1024),
    s3Puts:
      runs * S3_REQUESTS.putsPerRun +
      scans * (S3_REQUESTS.putsPerAccount + a.continuationsPerAccount * S3_REQUESTS.putsPerContinuation),
    s3Gets:
      runs * S3_REQUESTS.getsPerRun +
      scans * (S3_REQUESTS.getsPerAccount + a.continuationsPerAccount * S3_REQUESTS.getsPerContinuation),
    // ScanCompleted and one event per changed finding per account; OrganizationScanCompleted per run.
    events: scans * (1 + changed) + runs,
    identities: accounts * a.identitiesPerAccount,
  };
}

export function monthlyCost(
  accounts: number,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  p: Prices = PRICES,
): Cost {
  const u = monthlyUsage(accounts, a);
  const stepFunctions = u.transitions * unitPrice(p.stepFunctionsTransition);
  const lambda =
    u.lambdaGbSeconds * unitPrice(p.lambdaGbSecond) + u.lambdaRequests * unitPrice(p.lambdaRequest);
  const dynamo =
    u.dynamoWru * unitPrice(p.dynamoWrite) +
    u.dynamoRru * unitPrice(p.dynamoRead) +
    u.dynamoStorageGb * unitPrice(p.dynamoStorageGbMonth);
  const s3 = u.s3Puts * unitPrice(p.s3Put) + u.s3Gets * unitPrice(p.s3Get);
  const eventBridge = u.events * unitPrice(p.eventBridgeEvent);
  return {
    accounts,
    usage: u,
    usd: {
      stepFunctions,
      lambda,
      dynamo,
      s3,
      eventBridge,
      total: stepFunctions + lambda + dynamo + s3 + eventBridge,
      accessAnalyzer: u.identities * unitPrice(p.accessAnalyzerIdentityMonth),
    },
  };
}

// ------------------------------------------------------------------------------------- rendering

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `$0.004`, `$3.00`, `$600`, `$1,234`: whole dollars from $100, cents below, one significant digit below a cent. */
export function usd(value: number): string {
  if (value >= 100) return `$${integer.format(Math.round(value))}`;
  if (value >= 0.01 || value === 0) return `$${value.toFixed(2)}`;
  return `$${value.toPrecision(1)}`;
}

function count(value: number): string {
  return integer.format(Math.round(value));
}

/** The README table: dollars per month per component, next to the managed analyzer. */
export function costTable(costs: readonly Cost[]): string {
  return [
    '| accounts | roles + users | Step Functions | Lambda | DynamoDB | S3 | EventBridge | **total / month** | per account | IAM Access Analyzer unused access |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...costs.map(
      (c) =>
        `| ${count(c.accounts)} | ${count(c.usage.identities)} | ${usd(c.usd.stepFunctions)} | ${usd(c.usd.lambda)} | ${usd(c.usd.dynamo)} | ${usd(c.usd.s3)} | ${usd(c.usd.eventBridge)} | **${usd(c.usd.total)}** | ${usd(c.usd.total / c.accounts)} | ${usd(c.usd.accessAnalyzer)} |`,
    ),
  ].join('\n');
}

/** The BENCHMARKS table: the usage behind each figure, per month. */
export function usageTable(costs: readonly Cost[]): string {
  return [
    '| accounts | state transitions | Lambda GB-s | Lambda requests | DynamoDB WRU | DynamoDB RRU | DynamoDB GB | S3 PUT | S3 GET | events |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...costs.map(
      (c) =>
        `| ${count(c.accounts)} | ${count(c.usage.transitions)} | ${count(c.usage.lambdaGbSeconds)} | ${count(c.usage.lambdaRequests)} | ${count(c.usage.dynamoWru)} | ${count(c.usage.dynamoRru)} | ${c.usage.dynamoStorageGb.toFixed(2)} | ${count(c.usage.s3Puts)} | ${count(c.usage.s3Gets)} | ${count(c.usage.events)} |`,
    ),
  ].join('\n');
}

/** The price list as a table, each with its source. */
export function priceTable(p: Prices = PRICES): string {
  const quantity = (n: number) => (n === 1 ? '' : n === 1e6 ? 'million ' : `${integer.format(n)} `);
  return [
    '| price | per | source |',
    '|---|---|---|',
    ...Object.values(p).map(
      (row) => `| $${row.usd} | ${quantity(row.quantity)}${row.unit} | ${row.source} |`,
    ),
  ].join('\n');
}

export function generatedSections(
  accounts: readonly number[] = DEFAULT_ACCOUNTS,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): Record<string, string> {
  const costs = accounts.map((n) => monthlyCost(n, a));
  return {
    'org-cost': costTable(costs),
    'org-cost-usage': usageTable(costs),
    'org-cost-prices': priceTable(),
  };
}

/** `text` with every generated section it has replaced; `required` sections must be present. */
export function renderSections(
  text: string,
  sections: Record<string, string>,
  required: readonly string[],
): string {
  let out = text;
  for (const [name, body] of Object.entries(sections)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) {
      if (required.includes(name)) throw new Error(`no ${start} ... ${end} section`);
      continue;
    }
    out = `${out.slice(0, from + start.length)}\n${body}\n${out.slice(to)}`;
  }
  return out;
}

/** The documents holding the generated tables, and which tables each must hold. */
export const DOCUMENTS: Record<string, readonly string[]> = {
  'README.md': ['org-cost'],
  'BENCHMARKS.md': ['org-cost-usage', 'org-cost-prices'],
};

// ------------------------------------------------------------------------------------------ CLI

function parseArgs(argv: string[]): { accounts: number[]; assumptions: Assumptions } {
  const assumptions = { ...DEFAULT_ASSUMPTIONS };
  let accounts: number[] = [...DEFAULT_ACCOUNTS];
  const flags: Record<string, keyof Assumptions> = {
    '--identities': 'identitiesPerAccount',
    '--scans': 'scansPerMonth',
    '--seconds': 'scanSecondsPerAccount',
    '--memory': 'lambdaMemoryMb',
    '--continuations': 'continuationsPerAccount',
    '--change-rate': 'findingChangeRate',
    '--max-jobs': 'lastAccessedMaxJobs',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--accounts') {
      accounts = (argv[++i] ?? '').split(',').map(Number);
      if (accounts.some((n) => !Number.isInteger(n) || n < 1))
        throw new Error('--accounts: expected a comma-separated list of positive whole numbers');
      continue;
    }
    const key = flags[flag];
    if (key === undefined) continue;
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${flag}: expected a non-negative number`);
    assumptions[key] = value;
  }
  return { accounts, assumptions };
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--write') || argv.includes('--check')) {
    const sections = generatedSections();
    let stale = false;
    for (const [name, required] of Object.entries(DOCUMENTS)) {
      const file = resolve(name);
      const text = await readFile(file, 'utf8');
      const rendered = renderSections(text, sections, required);
      if (argv.includes('--check')) {
        if (normalizeTables(rendered) !== normalizeTables(text)) {
          process.stderr.write(`${name} is out of date: run npx tsx scripts/org-cost.ts --write\n`);
          stale = true;
        }
        continue;
      }
      await writeFile(file, rendered);
      execFileSync(resolve('node_modules/.bin/biome'), ['format', '--write', file], { stdio: 'inherit' });
    }
    if (stale) process.exitCode = 1;
    return;
  }
  const { accounts, assumptions } = parseArgs(argv);
  const costs = accounts.map((n) => monthlyCost(n, assumptions));
  if (argv.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ prices: { ...PRICES_CHECKED, ...PRICES }, assumptions, costs }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(`${costTable(costs)}\n\n${usageTable(costs)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main(process.argv.slice(2));
}
