import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { AccountReader } from '../adapters/aws/account-reader';
import { AwsLiveStateReader } from '../adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../adapters/aws/remediation-executor';
import { DynamoJitStore } from '../adapters/dynamo-jit-store';
import { remediationEvents } from '../adapters/event-publisher';
import { parseArn } from '../core/arn';
import { describeError } from '../core/describe-error';
import { memberRoleArn, memberSessionName } from '../core/organization-scan';
import { MEMBER_QUARANTINE_POLICY_NAME, QUARANTINE_POLICY_NAME } from '../core/remediation/catalog';
import type { RemediationStep } from '../core/remediation/plan';
import type { BeforeState } from '../core/remediation/request';
import type { RemediationDeps } from '../use-cases/execute-remediation';
import type { AccountAccess, RemediationAccounts, RemediationExecutor } from '../use-cases/remediation-ports';
import { type AwsConfig, awsClients, resolvedRegion, sdkConfig } from './aws';
import { slackNotifier, slackSecrets } from './slack';
import { eventPublisher, findingsStore, remediationRequestStore } from './stores';

/** How requests reach the account of their finding (the remediation function's mode). */
export interface AccountRouting {
  /**
   * The remediation role of member accounts. Unset, a finding of another account than the one
   * the credentials belong to is refused.
   */
  memberRoleName?: string;
  /** The external id the member role requires (only across organizations). */
  externalId?: string;
  /** Whose member role this is: the rollback function assumes the member rollback role. */
  purpose?: 'remediation' | 'rollback';
}

/** Builds the executor of one account from its clients and its quarantine policy. */
export type ExecutorFactory = (
  iam: IAMClient,
  secretsManager: (region: string) => SecretsManagerClient,
  quarantinePolicyArn: string | (() => Promise<string>) | undefined,
) => RemediationExecutor;

function quarantinePolicyArn(partition: string, accountId: string, name: string): string {
  return `arn:${partition}:iam::${accountId}:policy/${name}`;
}

/** Re-granting is the rollback function's: the acting function's executor refuses to restore. */
export class RestoreNotPermittedError extends Error {
  override readonly name = 'RestoreNotPermittedError';
}

/**
 * The acting function's executor: captures, applies and verifies like the one it wraps, and
 * refuses to restore. Restoring re-grants what a step removed (re-attaching a policy, putting a
 * document back, reactivating a key), which the acting role must not be able to do.
 */
export class PrivilegeReducingExecutor implements RemediationExecutor {
  constructor(private readonly inner: RemediationExecutor) {}
  captureBefore(step: RemediationStep): Promise<BeforeState> {
    return this.inner.captureBefore(step);
  }
  apply(step: RemediationStep): Promise<void> {
    return this.inner.apply(step);
  }
  verify(step: RemediationStep, before: BeforeState): Promise<string | undefined> {
    return this.inner.verify(step, before);
  }
  async restore(): Promise<void> {
    throw new RestoreNotPermittedError(
      'this function only reduces privilege; restoring is left to an approved rollback (`iam-posture rollback <request id>`)',
    );
  }
  async verifyRestored(): Promise<string | undefined> {
    throw new RestoreNotPermittedError('this function only reduces privilege and restores nothing');
  }
}

/**
 * Which quarantine policy the executor attaches in the credentials' own account: an exact ARN (the
 * deployed function, from QUARANTINE_POLICY_ARN), the stack's policy in the caller's account (the
 * command line), or none (the deployed function without the variable: quarantine fails closed).
 */
export type QuarantinePolicySource = { arn: string } | 'own-account' | 'none';

export interface RemediationWiringConfig {
  aws: AwsConfig;
  table: string;
  /** Where RemediationExecuted / RemediationRolledBack go; without it they are recorded in the table only. */
  eventBus?: string;
  /** Settings and protected principals for planning. */
  planning: RemediationDeps['planning'];
  /** When set, the request's Slack message follows its outcome. */
  slack?: { botTokenSecretArn: string; channelId?: string; apiUrl?: string };
  /**
   * When set, every request acts in its finding's account: the credentials' own account directly,
   * a member account through its remediation role, any other account not at all.
   */
  routing?: AccountRouting;
  /** Default `own-account`. */
  quarantinePolicy?: QuarantinePolicySource;
  /**
   * The rotation functions the credentials may invoke; set, rotate-secret is refused for any other
   * (and for every secret when empty). Unset (an operator's credentials), not checked.
   */
  rotationFunctions?: readonly string[];
  /**
   * False for the acting function: it only reduces privilege, so the executor it gets refuses to
   * restore (re-grant) anything; a step to undo is left to the rollback function or the command
   * line, and the request records why. Default true.
   */
  restores?: boolean;
}

export interface RemediationWiring {
  deps: RemediationDeps;
  /** The account of the credentials in use: the account whose live state the reader reads. */
  callerAccount(): Promise<string>;
  /** Closes the AWS clients' connections. */
  close(): void;
}

/** Everything the remediation and rollback use cases act through, for the account `aws` reaches. */
export function remediationWiring(config: RemediationWiringConfig): RemediationWiring {
  const clients = awsClients(config.aws);
  const secretsManager = (region: string) => clients.secretsManager(region);
  const slack = config.slack;
  const notifier = slack
    ? slackNotifier({
        ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
        ...(slack.channelId ? { channelId: slack.channelId } : {}),
        botTokenSecretArn: slack.botTokenSecretArn,
        secrets: slackSecrets(config.aws, [slack.botTokenSecretArn]),
      })
    : undefined;
  let identity: Promise<{ accountId: string; arn?: string }> | undefined;
  const callerIdentity = () => {
    if (!identity) {
      const pending = new AccountReader(clients.sts, clients.ec2).callerIdentity();
      identity = pending;
      // A failed look-up is not kept: the next request asks again.
      pending.catch(() => {
        if (identity === pending) identity = undefined;
      });
    }
    return identity;
  };
  const reader = new AwsLiveStateReader(clients.iam, secretsManager);
  const source = config.quarantinePolicy ?? 'own-account';
  const ownQuarantine =
    source === 'none'
      ? undefined
      : source === 'own-account'
        ? async () => {
            const caller = await callerIdentity();
            const partition = (caller.arn && parseArn(caller.arn)?.partition) || 'aws';
            return quarantinePolicyArn(partition, caller.accountId, QUARANTINE_POLICY_NAME);
          }
        : source.arn;
  const executorFor: ExecutorFactory = (iam, sm, quarantine) => {
    const executor = new AwsRemediationExecutor(iam, sm, {
      ...(quarantine ? { quarantinePolicyArn: quarantine } : {}),
      ...(config.rotationFunctions ? { rotationFunctions: config.rotationFunctions } : {}),
    });
    return config.restores === false ? new PrivilegeReducingExecutor(executor) : executor;
  };
  const executor = executorFor(clients.iam, secretsManager, ownQuarantine);
  const deps: RemediationDeps = {
    requests: remediationRequestStore(config.aws, config.table),
    findings: findingsStore(config.aws, config.table),
    reader,
    executor,
    ...(config.routing
      ? {
          accounts: accountRouter(
            config.aws,
            config.routing,
            callerIdentity,
            {
              outcome: 'ready',
              reader,
              executor,
              ownArns: [],
              // The function's own clients live as long as the function.
              close: () => {},
            },
            memberAwsConfig,
            executorFor,
          ),
        }
      : {}),
    events: config.eventBus
      ? remediationEvents(eventPublisher(config.aws, config.eventBus))
      : { publish: async () => {} },
    ...(notifier ? { notifier } : {}),
    planning: config.planning,
    // Conversions to just-in-time record eligibilities in the same table as the requests, with the
    // same item access; rollback needs it even once elevation is no longer configured.
    eligibility: new DynamoJitStore(new DynamoDBClient(sdkConfig(config.aws)), config.table),
    now: () => new Date(),
  };
  return {
    deps,
    callerAccount: async () => (await callerIdentity()).accountId,
    close: () => clients.destroy(),
  };
}

/**
 * The access of each request: the credentials' own account as is; another account through its
 * member remediation role when one is configured, refused otherwise. Every failure to reach an
 * account is a refusal with its reason, so the request records why it was not executed.
 */
export function accountRouter(
  base: AwsConfig,
  routing: AccountRouting,
  callerIdentity: () => Promise<{ accountId: string; arn?: string }>,
  own: AccountAccess,
  assume: typeof memberAwsConfig = memberAwsConfig,
  executorFor: ExecutorFactory = (iam, sm, quarantine) =>
    new AwsRemediationExecutor(iam, sm, quarantine ? { quarantinePolicyArn: quarantine } : {}),
): RemediationAccounts {
  return {
    async access(accountId, requestId) {
      let caller: { accountId: string; arn?: string };
      try {
        caller = await callerIdentity();
      } catch (error) {
        return {
          outcome: 'refused',
          reason: `The remediation function could not identify its own account (${describeError(error)}); nothing was changed.`,
        };
      }
      if (accountId === caller.accountId) return own;
      if (!routing.memberRoleName) {
        const purpose = routing.purpose ?? 'remediation';
        return {
          outcome: 'refused',
          reason:
            `The finding is in account ${accountId}, the remediation function runs in account ` +
            `${caller.accountId} and has no member ${purpose} role (MEMBER_${purpose.toUpperCase()}_ROLE_NAME is not set); nothing was changed.`,
        };
      }
      const partition = (caller.arn && parseArn(caller.arn)?.partition) || 'aws';
      const roleArn = memberRoleArn(accountId, routing.memberRoleName, partition);
      let member: AwsConfig;
      try {
        member = await assume(base, {
          roleArn,
          sessionName: memberSessionName(`remediation-${requestId}`),
          ...(routing.externalId ? { externalId: routing.externalId } : {}),
        });
      } catch (error) {
        return {
          outcome: 'refused',
          reason: `The remediation role ${roleArn} could not be assumed (${describeError(error)}); nothing was changed.`,
        };
      }
      const clients = awsClients(member);
      // The live state must be read in the finding's account, as the command line checks for its credentials.
      let reached: string;
      try {
        reached = (await new AccountReader(clients.sts, clients.ec2).callerIdentity()).accountId;
      } catch (error) {
        clients.destroy();
        return {
          outcome: 'refused',
          reason: `The credentials of ${roleArn} could not be checked (${describeError(error)}); nothing was changed.`,
        };
      }
      if (reached !== accountId) {
        clients.destroy();
        return {
          outcome: 'refused',
          reason: `Assuming ${roleArn} gave credentials of account ${reached}, not ${accountId}; nothing was changed.`,
        };
      }
      const secretsManager = (region: string) => clients.secretsManager(region);
      return {
        outcome: 'ready',
        reader: new AwsLiveStateReader(clients.iam, secretsManager),
        // The member stack's own quarantine policy, under its own name.
        executor: executorFor(
          clients.iam,
          secretsManager,
          quarantinePolicyArn(partition, accountId, MEMBER_QUARANTINE_POLICY_NAME),
        ),
        ownArns: [roleArn],
        close: () => clients.destroy(),
      };
    },
  };
}

export interface AssumeInput {
  roleArn: string;
  sessionName: string;
  externalId?: string;
}

/**
 * The AwsConfig of a member account: the role assumed with the base config's credentials, through
 * STS at the base config's endpoint and region. The credentials are resolved here, once, so a role
 * that cannot be assumed is an error now, not a failure in the middle of a remediation; they
 * outlast one request (an hour, STS's default).
 */
export async function memberAwsConfig(base: AwsConfig, input: AssumeInput): Promise<AwsConfig> {
  const region = await resolvedRegion(base);
  const provider = fromTemporaryCredentials({
    params: {
      RoleArn: input.roleArn,
      RoleSessionName: input.sessionName,
      ...(input.externalId ? { ExternalId: input.externalId } : {}),
    },
    ...(base.credentials ? { masterCredentials: base.credentials } : {}),
    clientConfig: {
      region,
      ...(base.endpoint ? { endpoint: base.endpoint } : {}),
      ...(base.profile ? { profile: base.profile } : {}),
      ...(base.maxAttempts !== undefined ? { maxAttempts: base.maxAttempts } : {}),
    },
  });
  const credentials = await provider();
  return {
    region,
    ...(base.endpoint ? { endpoint: base.endpoint } : {}),
    ...(base.maxAttempts !== undefined ? { maxAttempts: base.maxAttempts } : {}),
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
  };
}
