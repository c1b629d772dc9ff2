import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { createAwsClients } from '../adapters/aws/clients';
import { OrganizationAccountsReader } from '../adapters/aws/organization-accounts';
import { type MemberAccount, memberRoleArn, memberSessionName } from '../core/organization-scan';
import type { CollectedInput, RunScanDeps } from '../use-cases/run-scan';
import {
  type AccountScanDeps,
  MemberAccessError,
  type OrganizationScanDeps,
} from '../use-cases/scan-organization';
import type { AwsConfig } from './aws';
import { type LiveCollector, liveCollector } from './collect';
import { scanDeps } from './scan';
import { unstoredScanDeps } from './unstored-scan';

/**
 * An organization run from one central config: the member accounts listed with the central
 * credentials, each member account reached through its member role, and every account's findings
 * stored in the one central table. A member account is the same factories (`liveCollector`,
 * `scanDeps`) with an `AwsConfig` whose credentials are the member role's.
 */

/** The accounts of the organization the central credentials manage (or administer by delegation). */
export async function discoverMemberAccounts(aws: AwsConfig): Promise<MemberAccount[]> {
  const clients = createAwsClients(aws);
  try {
    return await new OrganizationAccountsReader(clients.organizations).listMemberAccounts();
  } finally {
    clients.destroy();
  }
}

export interface MemberAccessConfig {
  /** The member role's name, the same in every account (e.g. `IamPostureScanner`). */
  roleName: string;
  /** Only where the member role's trust asks for one (across organizations). */
  externalId?: string;
  /** Carried in the session name, so CloudTrail in the member account names the run. */
  runId: string;
  /** Seconds of each assumed session (900..the role's maximum). Default 3600. */
  sessionSeconds?: number;
}

export interface MemberAccess {
  /**
   * The config of a member account: the central config's region and endpoint, with the member
   * role's credentials. The role is assumed once here, so a role that cannot be assumed is a
   * `MemberAccessError` (the AWS error as its cause) before any collection starts; the credentials
   * are then renewed before they expire, for scans longer than one session.
   */
  memberConfig(account: MemberAccount): Promise<AwsConfig>;
  /** Closes the STS client of the assume calls. */
  destroy(): void;
}

/** Credentials are renewed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export function memberAccess(
  central: AwsConfig,
  config: MemberAccessConfig,
  now: () => number = Date.now,
): MemberAccess {
  // The assume calls go where every other call of the run goes (the central region and endpoint),
  // signed with the central credentials.
  const clients = createAwsClients(central);
  return {
    async memberConfig(account) {
      const region = await clients.homeRegion();
      const roleArn = memberRoleArn(account.id, config.roleName, partitionOf(region));
      const assume = async (): Promise<AwsCredentialIdentity> => {
        const { Credentials: c } = await clients.sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: memberSessionName(config.runId),
            DurationSeconds: config.sessionSeconds ?? 3600,
            ...(config.externalId ? { ExternalId: config.externalId } : {}),
          }),
        );
        if (!c?.AccessKeyId || !c.SecretAccessKey) {
          throw new Error(`sts:AssumeRole answered no credentials for ${roleArn}`);
        }
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          ...(c.Expiration ? { expiration: c.Expiration } : {}),
        };
      };
      const credentials = renewing(assume, now);
      try {
        await credentials();
      } catch (error) {
        // The outcome names the AWS error code from the cause; the message says what failed.
        const why = error instanceof Error ? error.message : String(error);
        throw new MemberAccessError(`cannot assume ${roleArn}: ${why}`, account.id, { cause: error });
      }
      return {
        region,
        ...(central.endpoint ? { endpoint: central.endpoint } : {}),
        ...(central.maxAttempts !== undefined ? { maxAttempts: central.maxAttempts } : {}),
        credentials,
      };
    },
    destroy: () => clients.destroy(),
  };
}

/**
 * One set of credentials shared by every client of the account, fetched again when it is within
 * the margin of its expiry (each SDK client would otherwise assume the role on its own). A failed
 * fetch is not kept: the next call tries again.
 */
function renewing(
  fetch: () => Promise<AwsCredentialIdentity>,
  now: () => number,
): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined;
  let expiresAt = Number.POSITIVE_INFINITY;
  return async () => {
    if (current && expiresAt - REFRESH_MARGIN_MS > now()) return current;
    const next = fetch().then((credentials) => {
      expiresAt = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
      return credentials;
    });
    current = next;
    expiresAt = Number.POSITIVE_INFINITY;
    try {
      return await next;
    } catch (error) {
      if (current === next) current = undefined;
      throw error;
    }
  };
}

/** The partition of a region: its member roles' ARNs are in it. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export interface OrganizationScanWiringConfig {
  /** The central config: the assume calls, the findings table and the bus. */
  aws: AwsConfig;
  access: MemberAccessConfig;
  /** Every account's findings go into this one table (each keyed by its account id). */
  table?: string;
  /** With `table`: FindingOpened / FindingResolved / ScanCompleted for every account. */
  eventBus?: string;
  /** Collects one member account with its collector (built on the member role's credentials). */
  collect(account: MemberAccount, collector: LiveCollector): Promise<CollectedInput>;
}

/**
 * The dependencies of `scanOrganization`: per account, a live collector on the member role's
 * credentials and scan dependencies whose store (when there is a table) is the central one.
 * Without a table each account's scan is analysed and reported, and nothing is kept.
 */
export function organizationScanDeps(
  config: OrganizationScanWiringConfig,
): OrganizationScanDeps & { destroy(): void } {
  const access = memberAccess(config.aws, config.access);
  return {
    async accountDeps(account): Promise<AccountScanDeps> {
      const memberAws = await access.memberConfig(account);
      const collector = liveCollector(memberAws);
      const collect = () => config.collect(account, collector);
      const scan: RunScanDeps = config.table
        ? scanDeps({
            aws: config.aws,
            table: config.table,
            ...(config.eventBus ? { eventBus: config.eventBus } : {}),
            collect,
          })
        : unstoredScanDeps(collect);
      return { scan, release: () => collector.destroy() };
    },
    now: () => new Date(),
    destroy: () => access.destroy(),
  };
}
