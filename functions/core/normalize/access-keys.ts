/** An access key as `list-access-keys` names it, to give credential report slots their key ids. */
export interface KnownAccessKey {
  id: string;
  createdAt?: Date;
  active?: boolean;
}

import { isRecord, jsonPath, MALFORMED, type NormalizeContext, str } from './context';

/** Gaps here concern one user's key ids, so they carry the user's ARN, not the account's. */
export function knownAccessKeys(ctx: NormalizeContext, userName: string, userArn: string): KnownAccessKey[] {
  const all = ctx.raw.accessKeys;
  if (!all || !Object.hasOwn(all, userName)) return [];
  const source = ctx.sources.accessKeys;
  const value = all[userName];
  const base = jsonPath('$', userName);
  const list = Array.isArray(value) ? value : isRecord(value) ? value.AccessKeyMetadata : undefined;
  const listPath = Array.isArray(value) ? base : `${base}.AccessKeyMetadata`;
  if (!Array.isArray(list)) {
    ctx.gap(
      source,
      userArn,
      MALFORMED,
      listPath,
      `The access key list of user ${userName} has no AccessKeyMetadata; its key ids are unknown.`,
    );
    return [];
  }
  const keys: KnownAccessKey[] = [];
  list.forEach((entry, i) => {
    const path = `${listPath}[${i}]`;
    const id = isRecord(entry) ? str(entry.AccessKeyId) : undefined;
    if (!isRecord(entry) || !id) {
      ctx.gap(
        source,
        userArn,
        MALFORMED,
        path,
        `An access key of user ${userName} has no AccessKeyId; its id is unknown.`,
      );
      return;
    }
    const createdAt = ctx.date(
      entry.CreateDate,
      source,
      path,
      'CreateDate',
      userArn,
      `Access key ${id} of user ${userName}`,
      'its id is not matched to a credential report slot',
    );
    const key: KnownAccessKey = { id };
    if (createdAt instanceof Date) key.createdAt = createdAt;
    if (entry.Status === 'Active' || entry.Status === 'Inactive') key.active = entry.Status === 'Active';
    keys.push(key);
  });
  return keys;
}
