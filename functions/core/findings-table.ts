import * as z from 'zod';
import { GovernanceMeasuresSchema } from './governance';
import { CHANGE_KINDS, type ChangeKind, type FindingStatus } from './lifecycle';
import { AccountOutcomeSchema } from './organization-scan';
import { SEVERITIES, type Severity, severityRank } from './rule';

/**
 * The findings table: one DynamoDB table holding every item iam-posture stores (single-table
 * design). This module is the one definition of its keys, indexes and TTL attribute: the CDK
 * construct, the integration tests and the benchmark all create the table from it, and the store
 * adapter builds every key with the functions below.
 *
 *   finding              PK ACCOUNT#<account>  SK FINDING#<id>   by-status, by-rule, by-id
 *   scan record          PK ACCOUNT#<account>  SK SCAN#<scanId>  by-id (one per scan: the history)
 *   account scan state   PK ACCOUNT#<account>  SK STATE          by-rule (ACCOUNTS: the accounts listed)
 *   remediation request  PK REQUEST#<id>       SK REQUEST        by-status (REQUEST#<state>)
 *   finding's request lock PK REQUESTLOCK#<finding id> SK LOCK (the request holding it)
 *   organization run     PK ORGRUN#<runId>     SK RUN
 *   run's account outcome PK ORGRUN#<runId>    SK ACCOUNT#<account>
 *   account's latest organization outcome
 *                        PK ACCOUNT#<account>  SK ORGANIZATION     by-rule (ORGANIZATION#ACCOUNTS)
 *   latest run pointer   PK ORGANIZATION       SK LATEST_RUN
 *   elevation request/grant PK JIT#<grantId>   SK GRANT
 *                        by-status (JIT#<state>, sorted by endsAt when granted, else requestedAt)
 *   elevation eligibility PK JITELIGIBLE#<account> SK <principalArn>#<profile>

 *   review campaign      PK CAMPAIGN#<id>      SK CAMPAIGN       by-status (CAMPAIGN#<state>, once complete)
 *   review item          PK CAMPAIGN#<id>      SK ITEM#<owner>#<item id>
 *   review attestation   PK ATTEST#<account>   SK <identity ARN> (the latest "keep" per identity)
 *   review message       PK REVIEWMSG#<campaign> SK <owner hash>#<seq> (where an owner's review was posted)
 *
 * (README "Findings store" has the index keys and the access patterns.)
 *
 * Findings of one account share a partition, so a scan reads them all with one strongly
 * consistent query. The indexes project keys only: an index write costs one write unit whatever
 * the finding's size, and only when its key changes (a status or severity change), not on every
 * write of the finding.
 */

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

export interface IndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  projection: 'KEYS_ONLY';
}

export interface TableDefinition {
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  globalSecondaryIndexes: readonly IndexDefinition[];
  /** Epoch seconds; DynamoDB deletes the item some time after it passes. */
  timeToLiveAttribute: string;
  billingMode: 'PAY_PER_REQUEST';
}

export const INDEX_BY_STATUS = 'by-status';
export const INDEX_BY_RULE = 'by-rule';
export const INDEX_BY_ID = 'by-id';

export const FINDINGS_TABLE: TableDefinition = {
  partitionKey: { name: 'PK', type: 'S' },
  sortKey: { name: 'SK', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: INDEX_BY_STATUS,
      partitionKey: { name: 'GSI1PK', type: 'S' },
      sortKey: { name: 'GSI1SK', type: 'S' },
      projection: 'KEYS_ONLY',
    },
    {
      indexName: INDEX_BY_RULE,
      partitionKey: { name: 'GSI2PK', type: 'S' },
      sortKey: { name: 'GSI2SK', type: 'S' },
      projection: 'KEYS_ONLY',
    },
    {
      indexName: INDEX_BY_ID,
      partitionKey: { name: 'GSI3PK', type: 'S' },
      projection: 'KEYS_ONLY',
    },
  ],
  timeToLiveAttribute: 'ttl',
  billingMode: 'PAY_PER_REQUEST',
};

/** Every key attribute of the table and its indexes: not part of the stored records themselves. */
export const KEY_ATTRIBUTES: readonly string[] = [
  FINDINGS_TABLE.partitionKey.name,
  FINDINGS_TABLE.sortKey.name,
  ...FINDINGS_TABLE.globalSecondaryIndexes.flatMap((index) => [
    index.partitionKey.name,
    ...(index.sortKey ? [index.sortKey.name] : []),
  ]),
];

/** Distinguishes the item types sharing the table. */
export const ITEM_TYPES = [
  'finding',
  'scan',
  'account-state',
  'remediation-request',
  'remediation-lock',
  'organization-run',
  'organization-run-account',
  'organization-account',
  'organization-latest-run',
] as const;
export type ItemType = (typeof ITEM_TYPES)[number];
export const ITEM_TYPE_ATTRIBUTE = 'itemType';

/**
 * The `CreateTable` input for the table (plain data, shaped as the DynamoDB API takes it), for
 * tests and local tools. The TTL attribute is set separately (`UpdateTimeToLive`).
 */
export function createTableInput(tableName: string) {
  const attributes = new Map<string, KeyAttribute>();
  const add = (attribute: KeyAttribute) => attributes.set(attribute.name, attribute);
  add(FINDINGS_TABLE.partitionKey);
  add(FINDINGS_TABLE.sortKey);
  for (const index of FINDINGS_TABLE.globalSecondaryIndexes) {
    add(index.partitionKey);
    if (index.sortKey) add(index.sortKey);
  }
  const keySchema = (partitionKey: KeyAttribute, sortKey?: KeyAttribute) => [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: FINDINGS_TABLE.billingMode,
    AttributeDefinitions: [...attributes.values()].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: keySchema(FINDINGS_TABLE.partitionKey, FINDINGS_TABLE.sortKey),
    GlobalSecondaryIndexes: FINDINGS_TABLE.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: index.projection },
    })),
  };
}

// ------------------------------------------------------------------------------------------- keys

export interface ItemKey {
  PK: string;
  SK: string;
}

const FINDING_PREFIX = 'FINDING#';
const SCAN_PREFIX = 'SCAN#';

export function accountPartition(accountId: string): string {
  return `ACCOUNT#${accountId}`;
}

export function findingKey(accountId: string, findingId: string): ItemKey {
  return { PK: accountPartition(accountId), SK: `${FINDING_PREFIX}${findingId}` };
}

/** The sort-key prefix of the findings in an account partition. */
export const FINDING_SORT_PREFIX = FINDING_PREFIX;

/** The finding id of a finding item's sort key, or undefined for another item. */
export function findingIdOfSortKey(sortKey: string): string | undefined {
  return sortKey.startsWith(FINDING_PREFIX) ? sortKey.slice(FINDING_PREFIX.length) : undefined;
}

export function scanKey(accountId: string, scanId: string): ItemKey {
  return { PK: accountPartition(accountId), SK: `${SCAN_PREFIX}${scanId}` };
}

/** The sort-key prefix of the scan records in an account partition (they sort by start time). */
export const SCAN_SORT_PREFIX = SCAN_PREFIX;

export function accountStateKey(accountId: string): ItemKey {
  return { PK: accountPartition(accountId), SK: 'STATE' };
}

export function remediationRequestKey(requestId: string): ItemKey {
  return { PK: `REQUEST#${requestId}`, SK: 'REQUEST' };
}

/**
 * The lock of one finding's remediation: present while a request of that finding is pending,
 * approved or executing, naming that request. It is written in the same transaction as the request
 * (conditionally absent) and deleted in the same transaction as the request's move to a state that
 * ends it, so two scans reopening a finding cannot open two requests for it.
 */
export function remediationLockKey(findingId: string): ItemKey {
  return { PK: `REQUESTLOCK#${findingId}`, SK: 'LOCK' };
}

// ----------------------------------------------------------------------- organization runs

const ORGANIZATION_RUN_PREFIX = 'ORGRUN#';
const RUN_ACCOUNT_PREFIX = 'ACCOUNT#';

/** The partition of one organization run: its header and one item per account outcome. */
export function organizationRunPartition(runId: string): string {
  return `${ORGANIZATION_RUN_PREFIX}${runId}`;
}

export function organizationRunKey(runId: string): ItemKey {
  return { PK: organizationRunPartition(runId), SK: 'RUN' };
}

/**
 * One account's outcome in one run. A run of thousands of accounts does not fit one item (400 KB),
 * so each outcome is an item of the run's partition, read back with one paginated query.
 */
export function organizationRunAccountKey(runId: string, accountId: string): ItemKey {
  return { PK: organizationRunPartition(runId), SK: `${RUN_ACCOUNT_PREFIX}${accountId}` };
}

/** The sort-key prefix of the account outcomes in a run partition. */
export const RUN_ACCOUNT_SORT_PREFIX = RUN_ACCOUNT_PREFIX;

/**
 * The newest organization outcome of an account, whatever run gave it (a rescan of a few accounts
 * does not hide the others' outcomes): what the organization view and Slack messages read.
 */
export function organizationAccountKey(accountId: string): ItemKey {
  return { PK: accountPartition(accountId), SK: 'ORGANIZATION' };
}

/** `by-rule` partition listing every account with an organization outcome. */
export const ORGANIZATION_ACCOUNTS_PARTITION = 'ORGANIZATION#ACCOUNTS';

export function organizationAccountItemKeys(accountId: string): Record<string, string> {
  return { ...organizationAccountKey(accountId), GSI2PK: ORGANIZATION_ACCOUNTS_PARTITION, GSI2SK: accountId };
}

/** Points at the newest run whose record is complete: written after the run's other items. */
export function latestOrganizationRunKey(): ItemKey {
  return { PK: 'ORGANIZATION', SK: 'LATEST_RUN' };
}

/** The status a finding record is in. */

/** What the index keys of a finding item are built from. */
export interface FindingIndexFields {
  id: string;
  accountId: string;
  ruleId: string;
  status: FindingStatus;
  severity: Severity;
  riskScore: number;
}

/** `<severity rank>#<inverted risk>#<id>`: most severe first, then riskiest, in ascending order. */
function rankKey(finding: Pick<FindingIndexFields, 'id' | 'severity' | 'riskScore'>): string {
  const risk = Math.min(9999, Math.max(0, Math.round(finding.riskScore)));
  return `${severityRank(finding.severity)}#${String(9999 - risk).padStart(4, '0')}#${finding.id}`;
}

/** Every key attribute of a finding item. */
export function findingItemKeys(finding: FindingIndexFields): Record<string, string> {
  return {
    ...findingKey(finding.accountId, finding.id),
    GSI1PK: findingStatusPartition(finding.accountId, finding.status),
    GSI1SK: rankKey(finding),
    GSI2PK: findingRulePartition(finding.accountId, finding.ruleId),
    GSI2SK: `${finding.status}#${rankKey(finding)}`,
    GSI3PK: `${FINDING_PREFIX}${finding.id}`,
  };
}

/** `by-status` partition: the findings of one account in one status. */
export function findingStatusPartition(accountId: string, status: FindingStatus): string {
  return `${accountPartition(accountId)}#${status}`;
}

/** `by-status` sort-key prefix selecting one severity. */
export function severitySortPrefix(severity: Severity): string {
  return `${severityRank(severity)}#`;
}

/** `by-rule` partition: the findings of one rule in one account. */
export function findingRulePartition(accountId: string, ruleId: string): string {
  return `${accountPartition(accountId)}#RULE#${ruleId}`;
}

/** `by-rule` sort-key prefix selecting a status, and optionally a severity within it. */
export function ruleSortPrefix(status: FindingStatus, severity?: Severity): string {
  return severity === undefined ? `${status}#` : `${status}#${severityRank(severity)}#`;
}

/** `by-id` partition of a finding. */
export function findingIdPartition(findingId: string): string {
  return `${FINDING_PREFIX}${findingId}`;
}

export function scanItemKeys(accountId: string, scanId: string): Record<string, string> {
  return { ...scanKey(accountId, scanId), GSI3PK: scanIdPartition(scanId) };
}

/** `by-id` partition of a scan record. */
export function scanIdPartition(scanId: string): string {
  return `${SCAN_PREFIX}${scanId}`;
}

/** `by-rule` partition listing every account that has been scanned into the table. */
export const ACCOUNTS_PARTITION = 'ACCOUNTS';

export function accountStateItemKeys(accountId: string): Record<string, string> {
  return { ...accountStateKey(accountId), GSI2PK: ACCOUNTS_PARTITION, GSI2SK: accountId };
}

/** Key attributes of a remediation request: by id (base table) and by state (`by-status`). */
export function remediationRequestItemKeys(request: {
  requestId: string;
  state: string;
  createdAt: string;
}): Record<string, string> {
  return {
    ...remediationRequestKey(request.requestId),
    GSI1PK: remediationStatePartition(request.state),
    GSI1SK: `${request.createdAt}#${request.requestId}`,
  };
}

/** `by-status` partition of the remediation requests in one state, oldest first. */
export function remediationStatePartition(state: string): string {
  return `REQUEST#${state}`;
}

// ------------------------------------------------------------------------------- review campaigns

/**
 * A review campaign and its items share a partition: one query reads a campaign's items, or one
 * owner's (by sort-key prefix). The header is listed by state through `by-status` only once every
 * item is written, so a half-written campaign is never seen.
 */
export function reviewCampaignKey(campaignId: string): ItemKey {
  return { PK: `CAMPAIGN#${campaignId}`, SK: 'CAMPAIGN' };
}

/** `by-status` keys of a complete campaign: newest last within a state. */
export function reviewCampaignIndexKeys(campaign: {
  campaignId: string;
  state: string;
  startedAt: string;
}): Record<string, string> {
  return {
    GSI1PK: reviewCampaignStatePartition(campaign.state),
    GSI1SK: `${campaign.startedAt}#${campaign.campaignId}`,
  };
}

export function reviewCampaignStatePartition(state: string): string {
  return `CAMPAIGN#${state}`;
}

/** The sort-key prefix of a campaign's items, or of one owner's items when `owner` is given. */
export function reviewItemSortPrefix(owner?: string): string {
  return owner === undefined ? 'ITEM#' : `ITEM#${owner}#`;
}

export function reviewItemKey(campaignId: string, owner: string, itemId: string): ItemKey {
  return { PK: reviewCampaignKey(campaignId).PK, SK: `${reviewItemSortPrefix(owner)}${itemId}` };
}

export function reviewAttestationPartition(accountId: string): string {
  return `ATTEST#${accountId}`;
}

export function reviewAttestationKey(accountId: string, identityArn: string): ItemKey {
  return { PK: reviewAttestationPartition(accountId), SK: identityArn };
}

// --------------------------------------------------------------------------------------- scan ids

/**
 * A scan id sorts by start time: `20240601T120000.123Z-1a2b3c4d`. `suffix` makes ids of scans
 * started in the same millisecond distinct (random hex from the caller).
 */
export function makeScanId(startedAt: Date, suffix: string): string {
  return `${startedAt.toISOString().replace(/[-:]/g, '')}-${suffix}`;
}

// -------------------------------------------------------------------------------- stored records

/** How many finding ids and gaps a scan record lists at most (an item holds at most 400 KB). */
export const SCAN_RECORD_LIMITS = { heldFindingIds: 1000, coverageGaps: 100, warnings: 50 } as const;

/** Scan records expire this long after the scan; the account state keeps the latest scan's time. */
export const SCAN_RECORD_TTL_DAYS = 400;

const severityCounts = z.object(
  Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().min(0)])) as Record<Severity, z.ZodNumber>,
);

const changeCounts = z.object(
  Object.fromEntries(CHANGE_KINDS.map((k) => [k, z.number().int().min(0)])) as Record<
    ChangeKind,
    z.ZodNumber
  >,
);

export const ScanRecordSchema = z.looseObject({
  scanId: z.string().min(1),
  accountId: z.string().min(1),
  /** `completed`: its changes are stored. `superseded`: a scan of newer data had already been stored. */
  outcome: z.enum(['completed', 'superseded']),
  origin: z.enum(['live', 'export']),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** The time the data describes (`--as-of`, the collection time, or the scan time). */
  evaluatedAt: z.string(),
  findings: z.object({
    total: z.number().int().min(0),
    bySeverity: severityCounts,
    suppressed: z.number().int().min(0),
    errors: z.number().int().min(0),
  }),
  changes: changeCounts,
  unchanged: z.number().int().min(0),
  /**
   * Findings this scan could not settle because their input was not fully read: open ones absent
   * from the scan (kept open), and new access key findings whose key id was not read (not stored yet).
   */
  held: z.number().int().min(0),
  heldFindingIds: z.array(z.string()),
  /**
   * Data sets this scan did not read at all (an export without the file, or a read not attempted
   * because the read it depends on failed): their findings and gaps were held, not re-checked.
   * Absent in records of earlier versions.
   */
  unread: z.array(z.string()).optional(),
  coverageGapCount: z.number().int().min(0),
  coverageGaps: z.array(
    z.looseObject({
      arn: z.string(),
      source: z.string(),
      category: z.string(),
      reason: z.string(),
      detail: z.string().optional(),
    }),
  ),
  apiCalls: z.object({ total: z.number().int().min(0), byOperation: z.record(z.string(), z.number()) }),
  /** Stored items that could not be read, and other problems that did not stop the scan. */
  warnings: z.array(z.string()),
  /** How many times the scan re-read the store after a concurrent change. */
  attempts: z.number().int().min(1),
  /**
   * The account's governance measures as of this scan (see `computeGovernance`). Absent in records
   * of earlier versions and in superseded scans, whose data is older than what is stored.
   */
  governance: GovernanceMeasuresSchema.optional(),
  ttl: z.number().int().optional(),
});

export type ScanRecord = z.infer<typeof ScanRecordSchema>;

/**
 * Per-account bookkeeping that makes concurrent scans safe: `sequence` counts the transactions
 * that changed findings (each one is conditional on the value it read), `observedAt` is the
 * newest evaluation time stored, so older data never overwrites newer data.
 */
export const AccountStateSchema = z.looseObject({
  accountId: z.string().min(1),
  sequence: z.number().int().min(0),
  observedAt: z.string(),
  latestScanId: z.string().optional(),
  latestScanAt: z.string().optional(),
  updatedAt: z.string(),
});

export type AccountState = z.infer<typeof AccountStateSchema>;

/** The header of an organization run; its outcomes are items of their own (`accounts` of them). */
export const OrganizationRunHeaderSchema = z.looseObject({
  runId: z.string().min(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  counts: z.object({
    total: z.number().int().min(0),
    complete: z.number().int().min(0),
    partial: z.number().int().min(0),
    failed: z.number().int().min(0),
  }),
  /** How many account items the run has: a reader that finds fewer knows the record is incomplete. */
  accounts: z.number().int().min(0),
  ttl: z.number().int().optional(),
});

export type OrganizationRunHeader = z.infer<typeof OrganizationRunHeaderSchema>;

/** An account outcome as stored: the outcome and the run that recorded it. */
export const StoredAccountOutcomeSchema = AccountOutcomeSchema.extend({
  runId: z.string().min(1),
  ttl: z.number().int().optional(),
});

export type StoredAccountOutcome = z.infer<typeof StoredAccountOutcomeSchema>;

/** The latest run pointer. */
export const LatestRunSchema = z.looseObject({ runId: z.string().min(1), startedAt: z.string() });

/**
 * The table actions the scan function uses. Transactions are authorized per contained action
 * (PutItem, UpdateItem), so no ConditionCheckItem is needed; BatchWriteItem writes the cached
 * service-last-accessed results, which need no condition.
 */
export const SCAN_FUNCTION_TABLE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;
