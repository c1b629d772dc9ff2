import { arnResource, isAccountRootArn } from '../arn';
import {
  type CredentialReport,
  type CredentialReportRow,
  type ParsedCredentialReport,
  ROOT_ACCOUNT_USER,
  readCredentialReportCsv,
} from '../credential-report';
import type { AccessKeySnapshot, UserCredentials, UserSnapshot } from '../model';
import { type KnownAccessKey, knownAccessKeys } from './access-keys';
import { MALFORMED, MISSING, type NormalizeContext } from './context';

/** `haveDetails` false: the authorization details are missing as a whole (a gap already says so). */
/** The credential report parsed once: given by a caller that parsed it already, or parsed here. */
export function parseReport(ctx: NormalizeContext, parsed?: ParsedCredentialReport): ParsedCredentialReport {
  if (typeof ctx.raw.credentialReport !== 'string') return {};
  return parsed ?? readCredentialReportCsv(ctx.raw.credentialReport);
}

/** When the credential report was generated, if the collection recorded it. */
export function reportGeneratedAt(ctx: NormalizeContext): Date | undefined {
  const generatedAt = ctx.date(
    ctx.raw.credentialReportGeneratedAt,
    ctx.sources.credentialReport,
    '',
    'GeneratedTime',
    undefined,
    'The credential report',
    'its generation time is unknown',
  );
  return generatedAt instanceof Date ? generatedAt : undefined;
}

/**
 * Attaches passwords and access keys from the report to the users of the authorization details,
 * adds the root user and the users only the report knows. `haveDetails` false: the authorization
 * details are missing as a whole (a gap already says so).
 */
export function readCredentialReport(
  ctx: NormalizeContext,
  parsed: ParsedCredentialReport,
  haveDetails: boolean,
): void {
  if (parsed.error) {
    ctx.gap(
      ctx.sources.credentialReport,
      undefined,
      MALFORMED,
      'line 1',
      `The credential report header is not valid (${parsed.error.message}); no password or access key was analysed.`,
    );
  }
  if (parsed.report) credentials(ctx, parsed.report, haveDetails);
}

function credentials(ctx: NormalizeContext, report: CredentialReport, haveDetails: boolean): void {
  const source = ctx.sources.credentialReport;
  const usersByArn = new Map<string, UserSnapshot>();
  const usersByName = new Map<string, UserSnapshot>();
  for (const user of ctx.users) {
    usersByArn.set(user.arn, user);
    usersByName.set(user.name, user);
  }
  const rejectedUsers = new Set<string>();
  for (const row of report.rejected) {
    if (row.user) rejectedUsers.add(row.user);
    // The root user's ARN is the account's: the detail names the row, so the gap holds root findings only.
    ctx.gap(
      source,
      row.arn,
      MALFORMED,
      row.user === ROOT_ACCOUNT_USER ? ROOT_ACCOUNT_USER : `line ${row.line}`,
      `Credential report line ${row.line}${row.user ? ` (user ${row.user})` : ''} is malformed: ${row.reason}; its password and access keys were not analysed.`,
    );
  }
  const seen = new Set<UserSnapshot>();
  let root: UserSnapshot | undefined;
  for (const row of report.rows) {
    let user: UserSnapshot | undefined;
    if (row.isRoot) {
      if (root) continue;
      root = rootUser(ctx, row);
      user = root;
      ctx.users.push(root);
    } else {
      user = usersByArn.get(row.arn) ?? usersByName.get(row.user);
      if (!user) {
        user = userFromReport(ctx, row);
        ctx.users.push(user);
        if (haveDetails) {
          ctx.gap(
            ctx.sources.authorizationDetails,
            user.arn,
            MISSING,
            undefined,
            `User ${row.user} is in the credential report but not in the authorization details; its policies and groups were not analysed.`,
            'user not in authorization details',
          );
        }
      }
    }
    if (seen.has(user)) continue;
    seen.add(user);
    if (!user.createdAt && row.userCreatedAt) user.createdAt = row.userCreatedAt;
    user.credentials = userCredentials(ctx, row, user);
  }
  for (const user of usersByArn.values()) {
    if (seen.has(user) || rejectedUsers.has(user.name)) continue;
    ctx.gap(
      source,
      user.arn,
      MISSING,
      undefined,
      `User ${user.name} is not in the credential report, which may predate the user; its password and access keys were not analysed.`,
      'user not in credential report',
    );
  }
  if (!root && !rejectedUsers.has(ROOT_ACCOUNT_USER)) {
    ctx.gap(
      source,
      undefined,
      MISSING,
      ROOT_ACCOUNT_USER,
      `The credential report has no ${ROOT_ACCOUNT_USER} row; the root user's password and access keys were not analysed.`,
    );
  }
}

function rootUser(ctx: NormalizeContext, row: CredentialReportRow): UserSnapshot {
  const arn = isAccountRootArn(row.arn) ? row.arn : ctx.accountArn;
  const root: UserSnapshot = {
    kind: 'user',
    arn,
    accountId: ctx.accountId,
    name: ROOT_ACCOUNT_USER,
    path: '/',
    isRoot: true,
    groups: [],
    inlinePolicies: [],
    managedPolicies: [],
    tags: {},
  };
  return root;
}

function userFromReport(ctx: NormalizeContext, row: CredentialReportRow): UserSnapshot {
  const resource = arnResource(row.arn) ?? '';
  const slash = resource.lastIndexOf('/');
  return {
    kind: 'user',
    arn: row.arn,
    accountId: ctx.accountId,
    name: row.user,
    path: slash > 4 ? resource.slice(4, slash + 1) : '/',
    isRoot: false,
    groups: [],
    inlinePolicies: [],
    managedPolicies: [],
    // Tags live in the authorization details, which do not hold this user.
    tags: {},
    tagsUnread: true,
  };
}

/** One access key per slot that ever held a key (active, or rotated at some point). */
function userCredentials(
  ctx: NormalizeContext,
  row: CredentialReportRow,
  user: UserSnapshot,
): UserCredentials {
  const keys: AccessKeySnapshot[] = [];
  for (const slot of row.accessKeys) {
    if (!slot.active && !slot.lastRotatedAt) continue;
    const key: AccessKeySnapshot = {
      kind: 'access-key',
      arn: user.arn,
      accountId: ctx.accountId,
      userName: user.name,
      isRoot: user.isRoot,
      slot: slot.slot,
      active: slot.active,
    };
    if (slot.lastRotatedAt) key.createdAt = slot.lastRotatedAt;
    if (slot.lastUsedAt) key.lastUsedAt = slot.lastUsedAt;
    if (slot.lastUsedService) key.lastUsedService = slot.lastUsedService;
    if (slot.lastUsedRegion) key.lastUsedRegion = slot.lastUsedRegion;
    const userCreatedAt = row.userCreatedAt ?? user.createdAt;
    if (userCreatedAt) key.userCreatedAt = userCreatedAt;
    keys.push(key);
  }
  if (keys.length > 0) matchKeyIds(ctx, keys, row.user, keys[0]!.arn);
  for (const key of keys) ctx.accessKeys.push(key);
  const credentials: UserCredentials = {
    passwordEnabled: row.passwordEnabled,
    mfaActive: row.mfaActive,
    accessKeys: keys,
  };
  if (row.passwordLastUsedAt) credentials.passwordLastUsedAt = row.passwordLastUsedAt;
  if (row.passwordLastChangedAt) credentials.passwordLastChangedAt = row.passwordLastChangedAt;
  return credentials;
}

/** Report slots carry no key id: match `list-access-keys` entries by creation time (the report has seconds). */
function matchKeyIds(
  ctx: NormalizeContext,
  keys: AccessKeySnapshot[],
  userName: string,
  userArn: string,
): void {
  const known = knownAccessKeys(ctx, userName, userArn);
  if (known.length === 0) return;
  const taken = new Set<KnownAccessKey>();
  for (const key of keys) {
    if (!key.createdAt) continue;
    const created = key.createdAt.getTime();
    let best: KnownAccessKey | undefined;
    for (const candidate of known) {
      if (taken.has(candidate) || !candidate.createdAt) continue;
      if (Math.abs(candidate.createdAt.getTime() - created) > 1000) continue;
      if (!best || (candidate.active === key.active && best.active !== key.active)) best = candidate;
    }
    if (best) {
      taken.add(best);
      key.keyId = best.id;
    }
  }
}
