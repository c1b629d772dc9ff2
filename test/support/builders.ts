/**
 * Builders for snapshots, policies and evaluation contexts, for unit tests of rules, the engine and
 * planning. Every builder returns a complete, healthy-by-default value: a test overrides only what
 * it is about. Dates are relative to the fixed `NOW` (use `daysAgo` / `daysFromNow`), so no test
 * depends on the clock.
 *
 *   const key = anAccessKey({ createdAt: daysAgo(200), lastUsedAt: daysAgo(45) });
 *   const role = aRole({ name: 'ci', trustPolicy: aTrustPolicy({ Principal: '*', Action: 'sts:AssumeRole' }) });
 *   const result = accessKeyUnused.evaluate(key, aContext());
 */
import { evaluationContext } from '../../functions/core/engine';
import type { AccountOuPaths } from '../../functions/core/environments';
import type { ScanRecord } from '../../functions/core/findings-table';
import type {
  AccessKeySnapshot,
  CoverageGap,
  GroupSnapshot,
  Inventory,
  OrganizationMembership,
  RoleSnapshot,
  SecretSnapshot,
  ServerCertificateSnapshot,
  UserCredentials,
  UserSnapshot,
} from '../../functions/core/model';
import { emptyInventory } from '../../functions/core/model';
import { ownerLookup } from '../../functions/core/ownership';
import { parsePolicyDocument } from '../../functions/core/policy/parse';
import type { PolicyDocument } from '../../functions/core/policy/types';
import type { EvaluationContext, PrivilegeSummary } from '../../functions/core/rule';
import { DEFAULT_SETTINGS, type ScanSettings, type Thresholds } from '../../functions/core/settings';

/** The evaluation time of every builder and context: 2026-06-01T12:00:00Z. */
export const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY_MS = 86_400_000;

/** The scanned account. */
export const ACCOUNT_ID = '111111111111';
/** Another account of the organization (configured in `aContext()` by default). */
export const ORG_ACCOUNT_ID = '222222222222';
/** An account outside the organization. */
export const EXTERNAL_ACCOUNT_ID = '999999999999';
/** The organization id configured in `aContext()` by default. */
export const ORG_ID = 'o-abc1234567';

/** `days` (may be fractional) before `from` (default `NOW`). */
export function daysAgo(days: number, from: Date = NOW): Date {
  return new Date(from.getTime() - days * DAY_MS);
}

/** `days` (may be fractional) after `from` (default `NOW`). */
export function daysFromNow(days: number, from: Date = NOW): Date {
  return new Date(from.getTime() + days * DAY_MS);
}

/** A role created a year ago and used yesterday, trusted by EC2. `name` sets the ARN unless `arn` is given. */
export function aRole(overrides: Partial<RoleSnapshot> = {}): RoleSnapshot {
  const name = overrides.name ?? 'app';
  const path = overrides.path ?? '/';
  return {
    kind: 'role',
    arn: `arn:aws:iam::${ACCOUNT_ID}:role${path}${name}`,
    accountId: ACCOUNT_ID,
    name,
    path,
    roleId: 'AROAEXAMPLE000000001',
    createdAt: daysAgo(365),
    lastUsedAt: daysAgo(1),
    lastUsedRegion: 'eu-west-1',
    trustPolicy: aTrustPolicy({ Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    inlinePolicies: [],
    managedPolicies: [],
    tags: {},
    ...overrides,
  };
}

/**
 * An IAM user created a year ago with no password and no access key. Pass `credentials` (see
 * `someCredentials`) for the credential-report view; keys listed there are independent snapshots.
 */
export function aUser(overrides: Partial<UserSnapshot> = {}): UserSnapshot {
  const name = overrides.name ?? 'alice';
  const path = overrides.path ?? '/';
  return {
    kind: 'user',
    arn: `arn:aws:iam::${ACCOUNT_ID}:user${path}${name}`,
    accountId: ACCOUNT_ID,
    name,
    path,
    isRoot: false,
    createdAt: daysAgo(365),
    groups: [],
    inlinePolicies: [],
    managedPolicies: [],
    tags: {},
    credentials: someCredentials(),
    ...overrides,
  };
}

/** The `<root_account>` row of the credential report as a user snapshot. */
export function theRootUser(overrides: Partial<UserSnapshot> = {}): UserSnapshot {
  return aUser({
    arn: `arn:aws:iam::${ACCOUNT_ID}:root`,
    name: '<root_account>',
    isRoot: true,
    ...overrides,
  });
}

/** Credential-report data: no password, no MFA, no keys unless overridden. */
export function someCredentials(overrides: Partial<UserCredentials> = {}): UserCredentials {
  return { passwordEnabled: false, mfaActive: false, accessKeys: [], ...overrides };
}

/**
 * An active key in slot 1 of user `alice`, created 30 days ago and used yesterday. Set
 * `isRoot: true` for a root key (the ARN and user name follow unless given).
 */
export function anAccessKey(overrides: Partial<AccessKeySnapshot> = {}): AccessKeySnapshot {
  const isRoot = overrides.isRoot ?? false;
  const userName = overrides.userName ?? (isRoot ? '<root_account>' : 'alice');
  return {
    kind: 'access-key',
    arn: isRoot ? `arn:aws:iam::${ACCOUNT_ID}:root` : `arn:aws:iam::${ACCOUNT_ID}:user/${userName}`,
    accountId: ACCOUNT_ID,
    userName,
    isRoot,
    slot: 1,
    keyId: 'AKIAEXAMPLE000000001',
    active: true,
    createdAt: daysAgo(30),
    lastUsedAt: daysAgo(1),
    lastUsedService: 's3',
    lastUsedRegion: 'eu-west-1',
    userCreatedAt: daysAgo(365),
    ...overrides,
  };
}

/** A secret in eu-west-1, created a year ago, rotated and read recently, with no resource policy. */
export function aSecret(overrides: Partial<SecretSnapshot> = {}): SecretSnapshot {
  const name = overrides.name ?? 'prod/db';
  const region = overrides.region ?? 'eu-west-1';
  return {
    kind: 'secret',
    arn: `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${name}-AbCdEf`,
    accountId: ACCOUNT_ID,
    name,
    region,
    createdAt: daysAgo(365),
    lastAccessedAt: utcMidnight(daysAgo(1)),
    lastRotatedAt: daysAgo(10),
    lastChangedAt: daysAgo(10),
    nextRotationAt: daysFromNow(20),
    rotationEnabled: true,
    rotationLambdaArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:rotate-db`,
    rotationIntervalDays: 30,
    policyState: 'absent',
    tags: {},
    ...overrides,
  };
}

/** A secret with a resource policy made of the given statements (AWS JSON shape). */
export function aSecretWithPolicy(
  statements: Record<string, unknown>[],
  overrides: Partial<SecretSnapshot> = {},
): SecretSnapshot {
  return aSecret({ policyState: 'present', resourcePolicy: aPolicy(statements), ...overrides });
}

/** An IAM server certificate uploaded 300 days ago and valid for another 200 days. */
export function aServerCertificate(
  overrides: Partial<ServerCertificateSnapshot> = {},
): ServerCertificateSnapshot {
  const name = overrides.name ?? 'www-example-com';
  return {
    kind: 'server-certificate',
    arn: `arn:aws:iam::${ACCOUNT_ID}:server-certificate/${name}`,
    accountId: ACCOUNT_ID,
    name,
    path: '/',
    uploadedAt: daysAgo(300),
    expiresAt: daysFromNow(200),
    ...overrides,
  };
}

/** A group with no policies. */
export function aGroup(overrides: Partial<GroupSnapshot> = {}): GroupSnapshot {
  const name = overrides.name ?? 'developers';
  return {
    kind: 'group',
    arn: `arn:aws:iam::${ACCOUNT_ID}:group/${name}`,
    accountId: ACCOUNT_ID,
    name,
    path: '/',
    createdAt: daysAgo(365),
    inlinePolicies: [],
    managedPolicies: [],
    ...overrides,
  };
}

/** An access-denied gap on the account's secret listing. */
export function aCoverageGap(overrides: Partial<CoverageGap> = {}): CoverageGap {
  return {
    kind: 'coverage-gap',
    arn: `arn:aws:iam::${ACCOUNT_ID}:root`,
    accountId: ACCOUNT_ID,
    source: 'secretsmanager:ListSecrets',
    reason: 'Access denied by the scanner role.',
    category: 'AccessDenied',
    detail: 'eu-west-1',
    ...overrides,
  };
}

/** A policy document from statements written as AWS prints them, parsed by the real parser. */
export function aPolicy(statements: Record<string, unknown>[]): PolicyDocument {
  return parsePolicyDocument({ Version: '2012-10-17', Statement: statements });
}

/**
 * A trust policy. Each argument is one statement in AWS JSON shape; `Effect` defaults to `Allow`
 * and `Action` to `sts:AssumeRole` (unless the statement has a `NotAction`).
 */
export function aTrustPolicy(...statements: Record<string, unknown>[]): PolicyDocument {
  return aPolicy(
    statements.map((s) => ({
      Effect: 'Allow',
      ...('NotAction' in s ? {} : { Action: 'sts:AssumeRole' }),
      ...s,
    })),
  );
}

/** A web identity trust statement for an OIDC provider of the scanned account. */
export function oidcTrustStatement(
  issuer: string,
  condition?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    Effect: 'Allow',
    Principal: { Federated: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${issuer}` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    ...(condition ? { Condition: condition } : {}),
  };
}

export interface ContextOptions {
  now?: Date;
  thresholds?: Partial<Thresholds>;
  /** Defaults to `{ id: ORG_ID, accountIds: [ORG_ACCOUNT_ID] }`; the scanned account is always ours. */
  organization?: { id?: string; accountIds?: string[] };
  accountId?: string;
  /** Privilege by ARN; unknown ARNs have none. */
  privilege?: Record<string, PrivilegeSummary>;
  /** The organization as read from the account; without it and without a configured id, it is unknown. */
  membership?: OrganizationMembership;
  ownership?: Partial<ScanSettings['ownership']>;
  environments?: Partial<ScanSettings['environments']>;
  /** Owners resolved over a whole inventory (access keys take their user's); else from each snapshot. */
  inventory?: Inventory;
  /** Known OU paths of accounts, as organization discovery lists them. */
  accountOuPaths?: AccountOuPaths;
}

/** The context the engine would build for the scanned account, at `NOW` with default thresholds. */
export function aContext(options: ContextOptions = {}): EvaluationContext {
  const privilege = options.privilege ?? {};
  return evaluationContext(
    options.accountId ?? ACCOUNT_ID,
    someSettings(options),
    options.now ?? NOW,
    (arn) => (Object.hasOwn(privilege, arn) ? privilege[arn] : undefined),
    options.membership,
    false,
    {
      ...(options.inventory
        ? { ownerOf: ownerLookup(someSettings(options).ownership, options.inventory) }
        : {}),
      ...(options.accountOuPaths ? { accountOuPaths: options.accountOuPaths } : {}),
    },
  );
}

/** Scan settings with defaults, the test organization, and the given overrides. */
export function someSettings(
  options: Pick<ContextOptions, 'thresholds' | 'organization' | 'ownership' | 'environments'> &
    Partial<Omit<ScanSettings, 'thresholds' | 'organization' | 'ownership' | 'environments'>> = {},
): ScanSettings {
  const organization = options.organization ?? { id: ORG_ID, accountIds: [ORG_ACCOUNT_ID] };
  return {
    ...DEFAULT_SETTINGS,
    exemptions: options.exemptions ?? [],
    disabledRules: options.disabledRules ?? [],
    thresholds: { ...DEFAULT_SETTINGS.thresholds, ...options.thresholds },
    ownership: { ...DEFAULT_SETTINGS.ownership, ...options.ownership },
    environments: { ...DEFAULT_SETTINGS.environments, ...options.environments },
    organization: {
      ...(organization.id ? { id: organization.id } : {}),
      accountIds: organization.accountIds ?? [],
    },
  };
}

/** An inventory of the scanned account holding the given snapshots (each list defaults to empty). */
export function anInventory(contents: Partial<Omit<Inventory, 'accountId'>> = {}): Inventory {
  return { ...emptyInventory(ACCOUNT_ID), collectedAt: NOW, ...contents };
}

/** Midnight UTC of the instant's day: how Secrets Manager reports a last-access date. */
export function utcMidnight(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** A completed scan of ACCOUNT_ID with nothing found and nothing changed; override what a test reads. */
export function aScanRecord(overrides: Partial<ScanRecord> = {}): ScanRecord {
  return {
    scanId: '20240601T120000.000Z-aaaa0001',
    accountId: ACCOUNT_ID,
    outcome: 'completed',
    origin: 'live',
    startedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
    evaluatedAt: NOW.toISOString(),
    findings: {
      total: 0,
      bySeverity: { critical: 0, high: 0, medium: 0, low: 0, informational: 0 },
      suppressed: 0,
      errors: 0,
    },
    changes: {
      opened: 0,
      reopened: 0,
      resolved: 0,
      'severity-changed': 0,
      suppressed: 0,
      'suppression-changed': 0,
      unsuppressed: 0,
    },
    unchanged: 0,
    held: 0,
    heldFindingIds: [],
    coverageGapCount: 0,
    coverageGaps: [],
    apiCalls: { total: 0, byOperation: {} },
    warnings: [],
    attempts: 1,
    ...overrides,
  };
}
