import {
  type Account,
  ListAccountsCommand,
  type ListAccountsCommandOutput,
  ListParentsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsCollector, type AwsCollectorOptions } from '../adapters/aws/collector';
import { mapWithConcurrency } from '../core/limit';
import { type MemberAccount, memberRoleArn, memberSessionName } from '../core/organization-scan';
import type { OrganizationRunStore } from '../use-cases/findings-ports';
import type { AccountDirectory, MemberAccess } from '../use-cases/org-run-ports';
import { MemberAccessError } from '../use-cases/scan-organization';
import { type AwsConfig, awsClients, sdkConfig } from './aws';
import { findingsStore } from './stores';

/**
 * The organization run's outside world for its Lambda steps: the organization's accounts, the
 * member accounts' credentials, and the store of run records. Each is the one thing a step's
 * handler asks of it; the handlers do not build clients themselves.
 */

export interface MemberAccessOptions {
  roleName: string;
  externalId?: string;
  /** Names the STS session, so the member account's CloudTrail names the run. */
  runId: string;
  /** Partition of the member role ARN. Default `aws`. */
  partition?: string;
  /** The collector's polling and clock (tests shorten its waits). */
  collector?: AwsCollectorOptions;
}

/**
 * Member accounts through their scanner role: assumed up front (so a missing or untrusting role is
 * an assume failure, not a failure of the first read), then the collector's clients with the
 * role's credentials.
 */
export function memberAccess(aws: AwsConfig, options: MemberAccessOptions): MemberAccess {
  return {
    async open(account) {
      const roleArn = memberRoleArn(account.id, options.roleName, options.partition);
      const sts = new STSClient(sdkConfig(aws));
      let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
      try {
        const output = await sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: memberSessionName(options.runId),
            ...(options.externalId ? { ExternalId: options.externalId } : {}),
          }),
        );
        const issued = output.Credentials;
        if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken) {
          throw new Error('AssumeRole returned no credentials');
        }
        credentials = {
          accessKeyId: issued.AccessKeyId,
          secretAccessKey: issued.SecretAccessKey,
          sessionToken: issued.SessionToken,
        };
      } catch (error) {
        throw new MemberAccessError(`could not assume ${roleArn}`, account.id, { cause: error });
      } finally {
        sts.destroy();
      }
      const clients = awsClients({ ...aws, credentials });
      return { source: new AwsCollector(clients, options.collector), release: () => clients.destroy() };
    },
  };
}

/** The partition of the functions' region (`cn-north-1` is in `aws-cn`). */
export function regionPartition(region: string | undefined): string {
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Parents looked up at once; Organizations throttles its API per account. */
const PARENT_LOOKUPS = 4;

/**
 * The organization's ACTIVE accounts (`ListAccounts`, every page), each with its parent and the
 * OU path from the root down (`ListParents`, each OU looked up once).
 */
export function accountDirectory(aws: AwsConfig): AccountDirectory {
  return {
    async listAccounts() {
      const client = new OrganizationsClient(sdkConfig(aws));
      try {
        const listed: Account[] = [];
        let token: string | undefined;
        do {
          const page: ListAccountsCommandOutput = await client.send(
            new ListAccountsCommand(token ? { NextToken: token } : {}),
          );
          listed.push(...(page.Accounts ?? []));
          token = page.NextToken;
        } while (token);
        const active = listed.filter(
          (account) => account.Id && (account.State ?? account.Status) === 'ACTIVE',
        );
        const parentOf = new Map<string, Promise<{ id: string; root: boolean }>>();
        const parent = (childId: string) => {
          let found = parentOf.get(childId);
          if (!found) {
            found = client.send(new ListParentsCommand({ ChildId: childId })).then((output) => {
              const first = output.Parents?.[0];
              if (!first?.Id) throw new Error(`Organizations lists no parent of ${childId}`);
              return { id: first.Id, root: first.Type === 'ROOT' };
            });
            parentOf.set(childId, found);
          }
          return found;
        };
        return mapWithConcurrency(active, PARENT_LOOKUPS, async (account): Promise<MemberAccount> => {
          const id = account.Id as string;
          const path: string[] = [];
          let next = await parent(id);
          path.unshift(next.id);
          while (!next.root) {
            next = await parent(next.id);
            path.unshift(next.id);
          }
          return { id, name: account.Name ?? '', parentId: path[path.length - 1] as string, ouPath: path };
        });
      } finally {
        client.destroy();
      }
    },
  };
}

/** The store has no run records: this build's findings store does not implement them. */
export class RunStoreUnavailableError extends Error {
  override readonly name = 'RunStoreUnavailableError';
}

/** Organization run records, in the findings table. */
export function organizationRunStore(aws: AwsConfig, table: string): OrganizationRunStore {
  const store: object = findingsStore(aws, table);
  if (!('recordOrganizationRun' in store) || !('latestOrganizationRun' in store)) {
    throw new RunStoreUnavailableError(
      'the findings store of this build does not record organization runs (OrganizationRunStore)',
    );
  }
  return store as OrganizationRunStore;
}
