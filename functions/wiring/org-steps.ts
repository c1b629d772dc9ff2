import { AwsCollector, type AwsCollectorOptions } from '../adapters/aws/collector';
import type { AccountDirectory, MemberAccess } from '../use-cases/org-run-ports';
import { type AwsConfig, awsClients } from './aws';
import { discoverMemberAccounts, memberAccess as memberConfigs } from './organization';

/**
 * The organization run's outside world for its Lambda steps, from the same factories as a CLI
 * organization scan (`./organization`): the organization's accounts, and each member account's
 * reads through its member role.
 */

export interface StepMemberAccessOptions {
  roleName: string;
  externalId?: string;
  /** Names the STS session, so the member account's CloudTrail names the run. */
  runId: string;
  /** The collector's polling and clock (tests shorten its waits). */
  collector?: AwsCollectorOptions;
}

/**
 * Member accounts through their scanner role. Each `open` assumes the role up front (a missing or
 * untrusting role is a `MemberAccessError`, not a failure of the first read) and returns the
 * collector's reads on the role's credentials; `release` closes every client it opened.
 */
export function memberAccess(aws: AwsConfig, options: StepMemberAccessOptions): MemberAccess {
  return {
    async open(account) {
      const access = memberConfigs(aws, {
        roleName: options.roleName,
        runId: options.runId,
        ...(options.externalId ? { externalId: options.externalId } : {}),
      });
      let memberAws: AwsConfig;
      try {
        memberAws = await access.memberConfig(account);
      } catch (error) {
        access.destroy();
        throw error;
      }
      const clients = awsClients(memberAws);
      return {
        source: new AwsCollector(clients, options.collector),
        release: () => {
          clients.destroy();
          access.destroy();
        },
      };
    },
  };
}

/** The organization's ACTIVE accounts, each with its OU path, listed with `aws`'s credentials. */
export function accountDirectory(aws: AwsConfig): AccountDirectory {
  return { listAccounts: () => discoverMemberAccounts(aws) };
}
