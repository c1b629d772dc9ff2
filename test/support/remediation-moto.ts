/**
 * Remediation on moto, shared by the tests that act on it: a live scan with the real collector and
 * engine, a finding stored as the findings store would store it, the whole IAM state to compare
 * before and after, an unused role with backdated times, and recorded events.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRoleCommand,
  GetAccountAuthorizationDetailsCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { findingItem } from '../../functions/adapters/dynamo-findings-store';
import type { Finding } from '../../functions/core/finding';
import type { StoredFinding } from '../../functions/core/lifecycle';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import type { RemediationEvents } from '../../functions/use-cases/remediation-ports';
import type { MotoServer } from './moto';
import { collectMoto } from './moto-collect';

const DAY_MS = 86_400_000;

export const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

/** A role any Lambda function may assume. */
export const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export class RecordedEvents implements RemediationEvents {
  readonly published: { detailType: string; detail: Record<string, unknown> }[] = [];
  async publish(detailType: Parameters<RemediationEvents['publish']>[0], detail: Record<string, unknown>) {
    this.published.push({ detailType, detail });
  }
}

/** A live scan of moto with the real collector and engine: the findings a deployed scan would record. */
export async function scanMoto(moto: MotoServer): Promise<Finding[]> {
  // moto has no service last accessed data: that rule's reads are left out.
  const settings = { ...DEFAULT_SETTINGS, disabledRules: ['unused-service-permissions'] };
  const collected = await collectMoto(moto, settings);
  return analyzeAccount(collected.raw, { settings, now: new Date() }).findings;
}

/** Scans, stores the one finding of `ruleId` on `arn` as the findings store would, and returns it. */
export async function recordedFinding(
  moto: MotoServer,
  dynamo: DynamoDBClient,
  table: string,
  ruleId: string,
  arn: string,
): Promise<Finding> {
  const findings = await scanMoto(moto);
  const finding = findings.find((f) => f.ruleId === ruleId && f.resourceArn === arn);
  if (!finding) {
    throw new Error(
      `no ${ruleId} finding on ${arn}; found: ${findings.map((f) => `${f.ruleId} ${f.resourceArn}`).join(', ')}`,
    );
  }
  const now = new Date().toISOString();
  const stored: StoredFinding = {
    ...finding,
    status: 'open',
    firstSeenAt: now,
    firstSeenScanId: '20240601T000000Z-abcd',
    lastChangedAt: now,
    lastChangedScanId: '20240601T000000Z-abcd',
    reopenCount: 0,
    version: 1,
  };
  await DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }).send(
    new PutCommand({ TableName: table, Item: findingItem(stored) }),
  );
  return finding;
}

/** The whole IAM state: authorization details and every user's access keys, order-insensitive. */
export async function iamState(iam: IAMClient): Promise<unknown> {
  const details = await iam.send(new GetAccountAuthorizationDetailsCommand({}));
  const users = (await iam.send(new ListUsersCommand({}))).Users ?? [];
  const keys: unknown[] = [];
  for (const user of users) {
    keys.push((await iam.send(new ListAccessKeysCommand({ UserName: user.UserName! }))).AccessKeyMetadata);
  }
  const { $metadata: _metadata, ...rest } = details;
  return canonical({ ...rest, keys });
}

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** A role created 400 days ago, last used `lastUsedDaysAgo` days ago (never, without it). */
export async function anUnusedRole(
  iam: IAMClient,
  moto: MotoServer,
  name: string,
  options: { lastUsedDaysAgo?: number } = {},
): Promise<string> {
  const role = await iam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST }),
  );
  await moto.backdateRole({
    roleName: name,
    createDate: daysAgo(400),
    lastUsedDate: options.lastUsedDaysAgo === undefined ? null : daysAgo(options.lastUsedDaysAgo),
  });
  return role.Role!.Arn!;
}
