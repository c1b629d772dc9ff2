import { arnRegion, arnResource, parseSecretArn } from '../arn';
import type { SecretSnapshot } from '../model';
import type { PolicyDocument } from '../policy/types';

interface SecretPolicy {
  state: 'absent' | 'present' | 'unknown';
  document?: PolicyDocument;
}

import { INVALID, isRecord, jsonPath, MALFORMED, MISSING, type NormalizeContext, str } from './context';

/** Reads `list-secrets` output (one region, or by region) with the secrets' resource policies. */
export function readSecrets(ctx: NormalizeContext): void {
  const all = ctx.raw.secrets;
  if (!all) return;
  const policies = secretPolicies(ctx);
  for (const [region, value] of Object.entries(all)) {
    const base = region === '' ? '$' : jsonPath('$', region);
    let list: unknown;
    let listPath = base;
    if (Array.isArray(value)) {
      list = value;
    } else if (isRecord(value)) {
      list = value.SecretList;
      listPath = `${base}.SecretList`;
    }
    if (!Array.isArray(list)) {
      ctx.gap(
        ctx.sources.secrets,
        undefined,
        MALFORMED,
        listPath,
        `The list-secrets output${region ? ` for ${region}` : ''} has no SecretList; its secrets were not analysed.`,
      );
      continue;
    }
    for (let i = 0; i < list.length; i++) secret(ctx, list[i], `${listPath}[${i}]`, region, policies);
  }
  if (!policies && ctx.secrets.length > 0) {
    ctx.gap(
      ctx.sources.secretPolicies,
      undefined,
      MISSING,
      undefined,
      `The resource policies of ${ctx.secrets.length} secrets were not read; public access to them was not checked.`,
      'policies not read',
    );
  }
}

function secret(
  ctx: NormalizeContext,
  record: unknown,
  path: string,
  regionKey: string,
  policies: { byArn: Map<string, SecretPolicy>; byName: Map<string, SecretPolicy> } | undefined,
): void {
  const source = ctx.sources.secrets;
  const read = ctx.entryWithArn(source, record, path, 'Secret', { arn: 'ARN', name: 'Name' });
  if (!read) return;
  const { entry, arn } = read;
  const name = str(entry.Name) ?? secretNameFromArn(arn);
  const subject = `Secret ${name}`;
  const skipped = 'the secret was not analysed';
  const createdAt = ctx.date(entry.CreatedDate, source, path, 'CreatedDate', arn, subject, skipped);
  const lastAccessedAt = ctx.date(
    entry.LastAccessedDate,
    source,
    path,
    'LastAccessedDate',
    arn,
    subject,
    skipped,
  );
  const lastRotatedAt = ctx.date(
    entry.LastRotatedDate,
    source,
    path,
    'LastRotatedDate',
    arn,
    subject,
    skipped,
  );
  const lastChangedAt = ctx.date(
    entry.LastChangedDate,
    source,
    path,
    'LastChangedDate',
    arn,
    subject,
    skipped,
  );
  const nextRotationAt = ctx.date(
    entry.NextRotationDate,
    source,
    path,
    'NextRotationDate',
    arn,
    subject,
    skipped,
  );
  if (
    createdAt === INVALID ||
    lastAccessedAt === INVALID ||
    lastRotatedAt === INVALID ||
    lastChangedAt === INVALID ||
    nextRotationAt === INVALID
  ) {
    return;
  }
  const rotation = entry.RotationEnabled;
  if (rotation !== undefined && rotation !== null && typeof rotation !== 'boolean') {
    ctx.gap(
      source,
      arn,
      MALFORMED,
      `${path}.RotationEnabled`,
      `${subject} has a RotationEnabled that is not true or false; ${skipped}.`,
    );
    return;
  }
  let policyState: SecretSnapshot['policyState'] = 'unknown';
  let resourcePolicy: PolicyDocument | undefined;
  if (policies) {
    const policy = policies.byArn.get(arn) ?? policies.byName.get(name);
    if (policy) {
      policyState = policy.state;
      resourcePolicy = policy.document;
    } else {
      ctx.gap(
        ctx.sources.secretPolicies,
        arn,
        MISSING,
        undefined,
        `${subject} has no entry in the resource policies; public access to it was not checked.`,
        'secret without policy entry',
      );
    }
  }
  const secret: SecretSnapshot = {
    kind: 'secret',
    arn,
    accountId: ctx.accountId,
    name,
    region: regionKey || arnRegion(arn) || '',
    rotationEnabled: rotation === true,
    policyState,
    ...ctx.tagFields(entry.Tags, source, path, 'Tags', arn, subject),
  };
  if (createdAt) secret.createdAt = createdAt;
  if (lastAccessedAt) secret.lastAccessedAt = lastAccessedAt;
  if (lastRotatedAt) secret.lastRotatedAt = lastRotatedAt;
  if (lastChangedAt) secret.lastChangedAt = lastChangedAt;
  if (nextRotationAt) secret.nextRotationAt = nextRotationAt;
  const lambda = str(entry.RotationLambdaARN);
  if (lambda) secret.rotationLambdaArn = lambda;
  if (resourcePolicy) secret.resourcePolicy = resourcePolicy;
  const rules = entry.RotationRules;
  if (isRecord(rules) && rules.AutomaticallyAfterDays !== undefined) {
    const days = Number(rules.AutomaticallyAfterDays);
    if (Number.isFinite(days) && days > 0 && typeof rules.AutomaticallyAfterDays !== 'boolean') {
      secret.rotationIntervalDays = days;
    } else {
      ctx.gap(
        source,
        arn,
        MALFORMED,
        `${path}.RotationRules.AutomaticallyAfterDays`,
        `${subject} has a rotation interval that is not a number of days; the interval is unknown.`,
      );
    }
  }
  ctx.secrets.push(secret);
}

function secretPolicies(
  ctx: NormalizeContext,
): { byArn: Map<string, SecretPolicy>; byName: Map<string, SecretPolicy> } | undefined {
  const list = ctx.raw.secretPolicies;
  if (list === undefined) return undefined;
  const source = ctx.sources.secretPolicies;
  const byArn = new Map<string, SecretPolicy>();
  const byName = new Map<string, SecretPolicy>();
  if (!Array.isArray(list)) {
    ctx.gap(
      source,
      undefined,
      MALFORMED,
      '$',
      'The secret resource policies are not a list; public access was not checked.',
    );
    return { byArn, byName };
  }
  list.forEach((entry, i) => {
    const path = `$[${i}]`;
    const arn = isRecord(entry) ? str(entry.ARN) : undefined;
    const name = isRecord(entry) ? str(entry.Name) : undefined;
    if (!isRecord(entry) || (!arn && !name)) {
      ctx.gap(
        source,
        undefined,
        MALFORMED,
        path,
        `Resource policy entry ${path} names no secret (no ARN or Name); it was not analysed.`,
      );
      return;
    }
    let policy: SecretPolicy = { state: 'absent' };
    if (entry.ResourcePolicy !== undefined && entry.ResourcePolicy !== null) {
      const document = ctx.policyDocument(
        entry.ResourcePolicy,
        source,
        path,
        'ResourcePolicy',
        arn?.startsWith('arn:') ? arn : undefined,
        `The resource policy of secret ${name ?? arn}`,
        'public access to the secret was not checked',
      );
      policy = document ? { state: 'present', document } : { state: 'unknown' };
    }
    if (arn) byArn.set(arn, policy);
    if (name) byName.set(name, policy);
  });
  return { byArn, byName };
}

/** `...:secret:prod/db-AbCdEf` -> `prod/db`; the resource part for an ARN that is not a secret's. */
function secretNameFromArn(arn: string): string {
  return parseSecretArn(arn)?.name ?? arnResource(arn) ?? arn;
}
