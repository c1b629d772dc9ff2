import { ACCOUNT_ID_PATTERN, accountRootArn, arnAccount, arnPartition } from '../arn';
import type { CredentialReport } from '../credential-report';
import { isRecord, type Json, MALFORMED, type NormalizeContext } from './context';

/**
 * Settles the account id and partition (`account.json`, else the first ARN that names an account)
 * and reads the collection time; the account metadata's own problems are gaps.
 */
export function readAccount(
  ctx: NormalizeContext,
  pages: unknown[],
  report: CredentialReport | undefined,
): Date | undefined {
  const account = isRecord(ctx.raw.account) ? ctx.raw.account : undefined;
  identifyAccount(ctx, account, pages, report);
  if (ctx.raw.account !== undefined && !account) {
    ctx.gap(
      ctx.sources.account,
      undefined,
      MALFORMED,
      '$',
      'The account metadata is not an object; the account id was taken from the ARNs.',
    );
  }
  const collectedAt = ctx.date(
    account?.CollectedAt,
    ctx.sources.account,
    '$',
    'CollectedAt',
    undefined,
    'The account metadata',
    'the collection time is unknown',
  );
  return collectedAt instanceof Date ? collectedAt : undefined;
}

function identifyAccount(
  ctx: NormalizeContext,
  account: Json | undefined,
  pages: unknown[],
  report: CredentialReport | undefined,
): void {
  const declared = account?.AccountId;
  const firstArn = firstAccountArn(ctx, pages, report);
  if (firstArn) ctx.partition = arnPartition(firstArn);
  if (typeof declared === 'string' && ACCOUNT_ID_PATTERN.test(declared)) {
    ctx.accountId = declared;
  } else if (firstArn) {
    ctx.accountId = arnAccount(firstArn)!;
  }
  ctx.accountArn = accountRootArn(ctx.partition, ctx.accountId);
  if (declared !== undefined && !(typeof declared === 'string' && ACCOUNT_ID_PATTERN.test(declared))) {
    ctx.gap(
      ctx.sources.account,
      undefined,
      MALFORMED,
      '$.AccountId',
      `The account metadata has a malformed AccountId (${JSON.stringify(declared)}, expected 12 digits); the account id was taken from the ARNs.`,
    );
  }
}

/** The first ARN of the data that names an account (customer managed, not `aws`). */
function firstAccountArn(
  ctx: NormalizeContext,
  pages: unknown[],
  report: CredentialReport | undefined,
): string | undefined {
  const lists = ['RoleDetailList', 'UserDetailList', 'GroupDetailList', 'Policies'] as const;
  for (const page of pages) {
    if (!isRecord(page)) continue;
    for (const key of lists) {
      const list = page[key];
      if (!Array.isArray(list)) continue;
      for (const entry of list) {
        const arn = isRecord(entry) ? entry.Arn : undefined;
        if (typeof arn === 'string' && arnAccount(arn)) return arn;
      }
    }
  }
  for (const row of report?.rows ?? []) if (arnAccount(row.arn)) return row.arn;
  for (const value of Object.values(ctx.raw.secrets ?? {})) {
    const list = Array.isArray(value) ? value : isRecord(value) ? value.SecretList : undefined;
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const arn = isRecord(entry) ? entry.ARN : undefined;
      if (typeof arn === 'string' && arnAccount(arn)) return arn;
    }
  }
  return undefined;
}
