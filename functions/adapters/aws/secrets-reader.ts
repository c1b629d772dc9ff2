import {
  GetResourcePolicyCommand,
  paginateListSecrets,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mapWithConcurrency } from '../../core/limit';
import type { CoverageGap } from '../../core/model';
import { toCliJson } from './cli-shape';
import { gapFromError } from './errors';
import { checkedPages, nextToken } from './pages';
import type { OnItemsProgress, Read } from './read';

export interface SecretRef {
  arn: string;
  region: string;
}

export interface SecretsReaderOptions {
  /** Concurrent `GetResourcePolicy` calls. Default 8. */
  concurrency?: number;
}

/** Secrets Manager metadata. Never reads a secret's value. */
export class SecretsReader {
  private readonly concurrency: number;

  constructor(
    private readonly clientFor: (region: string) => SecretsManagerClient,
    options: SecretsReaderOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 8;
  }

  /** `list-secrets` in one region, every page merged. */
  async listSecrets(accountId: string, region: string): Promise<Read<unknown>> {
    const secrets: unknown[] = [];
    let pages = 0;
    try {
      const paginator = paginateListSecrets({ client: this.clientFor(region) }, { MaxResults: 100 });
      for await (const page of checkedPages(paginator, nextToken)) {
        pages++;
        secrets.push(...(toCliJson(page.SecretList ?? []) as unknown[]));
      }
    } catch (error) {
      return {
        gaps: [
          gapFromError(error, {
            accountId,
            source: 'secretsmanager:ListSecrets',
            detail: region,
            regional: true,
            notRead: `no secret in ${region} was read`,
            failedPage: pages + 1,
          }),
        ],
      };
    }
    return { data: { SecretList: secrets }, gaps: [] };
  }

  /** `get-resource-policy` for each secret, at most `concurrency` at a time. */
  async resourcePolicies(
    accountId: string,
    secrets: readonly SecretRef[],
    onProgress?: OnItemsProgress,
  ): Promise<Read<unknown[]>> {
    const gaps: CoverageGap[] = [];
    let done = 0;
    const results = await mapWithConcurrency(secrets, this.concurrency, async (secret) => {
      try {
        const output = await this.clientFor(secret.region).send(
          new GetResourcePolicyCommand({ SecretId: secret.arn }),
        );
        return toCliJson(output);
      } catch (error) {
        gaps.push(
          gapFromError(error, {
            accountId,
            arn: secret.arn,
            source: 'secretsmanager:GetResourcePolicy',
            regional: true,
            notRead: 'its resource policy was not read',
          }),
        );
        return undefined;
      } finally {
        onProgress?.(++done, secrets.length);
      }
    });
    return { data: results.filter((result) => result !== undefined), gaps };
  }
}
