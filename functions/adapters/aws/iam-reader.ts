import {
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type GetCredentialReportCommandOutput,
  type IAMClient,
  paginateGetAccountAuthorizationDetails,
  paginateListAccessKeys,
  paginateListServerCertificates,
} from '@aws-sdk/client-iam';
import { mapWithConcurrency } from '../../core/limit';
import type { CoverageGap } from '../../core/model';
import { toCliJson, toCliJsonWithPolicies } from './cli-shape';
import { type Clock, type PollingOptions, pollUntil, systemClock } from './clock';
import { coverageGap, gapFromError } from './errors';
import { checkedPages, iamMarker } from './pages';
import type { OnItemsProgress, Read } from './read';

export interface IamReaderOptions {
  clock?: Clock;
  /** `MaxItems` of `GetAccountAuthorizationDetails` (1..1000). Default 1000. */
  pageSize?: number;
  credentialReport?: Partial<PollingOptions>;
  /** Concurrent `ListAccessKeys` calls. Default 8. */
  concurrency?: number;
}

export const CREDENTIAL_REPORT_POLLING: PollingOptions = {
  timeoutMs: 120_000,
  initialDelayMs: 1_000,
  maxDelayMs: 10_000,
};

const DETAIL_LISTS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const;

/** `get-account-authorization-details` as the CLI prints it: the pages' lists concatenated. */
export interface AuthorizationDetails {
  UserDetailList: Record<string, unknown>[];
  GroupDetailList: Record<string, unknown>[];
  RoleDetailList: Record<string, unknown>[];
  Policies: Record<string, unknown>[];
}

export interface CredentialReport {
  /** The decoded CSV. */
  content: string;
  /** `GeneratedTime`, ISO-8601. */
  generatedAt?: string;
}

export interface UserRef {
  userName: string;
  arn: string;
}

/** The account-wide IAM reads: few calls, each returning many entities. */
export class IamReader {
  private readonly clock: Clock;
  private readonly pageSize: number;
  private readonly reportPolling: PollingOptions;
  private readonly concurrency: number;

  constructor(
    private readonly iam: IAMClient,
    options: IamReaderOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.pageSize = options.pageSize ?? 1000;
    this.reportPolling = { ...CREDENTIAL_REPORT_POLLING, ...options.credentialReport };
    this.concurrency = options.concurrency ?? 8;
  }

  /**
   * Every user, group, role and policy with their documents, `MaxItems` per page. A failure on
   * any page is a gap and no data: a partial listing would look complete.
   */
  async authorizationDetails(
    accountId: string,
    onPage?: (pages: number, entities: number) => void,
  ): Promise<Read<AuthorizationDetails>> {
    const source = 'iam:GetAccountAuthorizationDetails';
    const merged: AuthorizationDetails = {
      UserDetailList: [],
      GroupDetailList: [],
      RoleDetailList: [],
      Policies: [],
    };
    let pages = 0;
    try {
      const paginator = paginateGetAccountAuthorizationDetails(
        { client: this.iam },
        { MaxItems: this.pageSize },
      );
      for await (const page of checkedPages(paginator, iamMarker)) {
        pages++;
        const cli = toCliJsonWithPolicies(page) as Record<string, unknown>;
        for (const list of DETAIL_LISTS) {
          const items = cli[list];
          if (Array.isArray(items)) merged[list].push(...(items as Record<string, unknown>[]));
        }
        onPage?.(
          pages,
          DETAIL_LISTS.reduce((sum, list) => sum + merged[list].length, 0),
        );
      }
    } catch (error) {
      return {
        gaps: [
          gapFromError(error, {
            accountId,
            source,
            notRead: 'no user, group, role or policy was read',
            failedPage: pages + 1,
          }),
        ],
      };
    }
    for (const policy of merged.Policies) fillPolicyName(policy);
    return { data: merged, gaps: [] };
  }

  /**
   * Generates the credential report and polls with backoff until it is complete. A report that
   * is missing or expired is generated again; one that never completes is a Timeout gap.
   */
  async credentialReport(accountId: string): Promise<Read<CredentialReport>> {
    let step: 'generate' | 'get' = 'generate';
    let lastState = 'not requested';
    let output: GetCredentialReportCommandOutput | undefined;
    try {
      output = await pollUntil(this.clock, this.reportPolling, async () => {
        if (step === 'generate') {
          const generated = await this.iam.send(new GenerateCredentialReportCommand({}));
          lastState = generated.State ?? 'unknown';
          if (generated.State !== 'COMPLETE') return undefined;
          step = 'get';
        }
        try {
          return await this.iam.send(new GetCredentialReportCommand({}));
        } catch (error) {
          if (isReportNotReady(error)) {
            lastState = 'in progress';
            return undefined;
          }
          if (isReportMissing(error)) {
            lastState = error instanceof Error ? error.name : 'missing';
            step = 'generate';
            return undefined;
          }
          throw error;
        }
      });
    } catch (error) {
      const source = step === 'generate' ? 'iam:GenerateCredentialReport' : 'iam:GetCredentialReport';
      return {
        gaps: [gapFromError(error, { accountId, source, notRead: 'the credential report was not read' })],
      };
    }
    if (!output) {
      return {
        gaps: [
          coverageGap({
            accountId,
            source: step === 'generate' ? 'iam:GenerateCredentialReport' : 'iam:GetCredentialReport',
            category: 'Timeout',
            reason: `The credential report was not complete after ${Math.round(
              this.reportPolling.timeoutMs / 1000,
            )} s (last state: ${lastState}); no password or access key was read.`,
          }),
        ],
      };
    }
    if (!(output.Content instanceof Uint8Array)) {
      return {
        gaps: [
          coverageGap({
            accountId,
            source: 'iam:GetCredentialReport',
            category: 'Malformed',
            reason: 'The credential report response has no content; no password or access key was read.',
          }),
        ],
      };
    }
    const content = new TextDecoder('utf-8').decode(output.Content);
    return {
      data: output.GeneratedTime ? { content, generatedAt: output.GeneratedTime.toISOString() } : { content },
      gaps: [],
    };
  }

  /** `list-access-keys` per user, at most `concurrency` at a time; keyed by user name. */
  async accessKeys(
    accountId: string,
    users: readonly UserRef[],
    onProgress?: OnItemsProgress,
  ): Promise<Read<Record<string, unknown>>> {
    const gaps: CoverageGap[] = [];
    const data: Record<string, unknown> = {};
    let done = 0;
    await mapWithConcurrency(users, this.concurrency, async (user) => {
      const read = await this.listAccessKeys(accountId, user);
      if (read.data) data[user.userName] = read.data;
      gaps.push(...read.gaps);
      onProgress?.(++done, users.length);
    });
    return { data: sortKeys(data), gaps };
  }

  private async listAccessKeys(accountId: string, user: UserRef): Promise<Read<unknown>> {
    const keys: unknown[] = [];
    try {
      const paginator = paginateListAccessKeys({ client: this.iam }, { UserName: user.userName });
      for await (const page of checkedPages(paginator, iamMarker)) {
        keys.push(...(toCliJson(page.AccessKeyMetadata ?? []) as unknown[]));
      }
    } catch (error) {
      return {
        gaps: [
          gapFromError(error, {
            accountId,
            arn: user.arn,
            source: 'iam:ListAccessKeys',
            notRead: `the access key ids of user ${user.userName} were not read`,
          }),
        ],
      };
    }
    return { data: { AccessKeyMetadata: keys }, gaps: [] };
  }

  /** `list-server-certificates`, every page. */
  async serverCertificates(accountId: string): Promise<Read<unknown>> {
    const certificates: unknown[] = [];
    try {
      const paginator = paginateListServerCertificates({ client: this.iam }, {});
      for await (const page of checkedPages(paginator, iamMarker)) {
        certificates.push(...(toCliJson(page.ServerCertificateMetadataList ?? []) as unknown[]));
      }
    } catch (error) {
      return {
        gaps: [
          gapFromError(error, {
            accountId,
            source: 'iam:ListServerCertificates',
            notRead: 'no server certificate was read',
          }),
        ],
      };
    }
    return { data: { ServerCertificateMetadataList: certificates }, gaps: [] };
  }
}

function isReportNotReady(error: unknown): boolean {
  return (
    error instanceof CredentialReportNotReadyException ||
    errorName(error) === 'CredentialReportNotReadyException'
  );
}

function isReportMissing(error: unknown): boolean {
  return (
    error instanceof CredentialReportNotPresentException ||
    error instanceof CredentialReportExpiredException ||
    errorName(error) === 'CredentialReportNotPresentException' ||
    errorName(error) === 'CredentialReportExpiredException'
  );
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Some emulators leave `PolicyName` out of `Policies` entries; the ARN's last segment is the name. */
function fillPolicyName(policy: Record<string, unknown>): void {
  if (typeof policy.PolicyName === 'string' || typeof policy.Arn !== 'string') return;
  const name = policy.Arn.slice(policy.Arn.lastIndexOf('/') + 1);
  if (name) policy.PolicyName = name;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
