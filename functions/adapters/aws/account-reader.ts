import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  GetCallerIdentityCommand,
  type GetCallerIdentityCommandOutput,
  type STSClient,
} from '@aws-sdk/client-sts';
import { CollectionError, describeError, gapFromError } from './errors';
import type { Read } from './read';

export interface CallerIdentity {
  accountId: string;
  arn?: string;
}

/** Who we are and where the account operates. */
export class AccountReader {
  constructor(
    private readonly sts: STSClient,
    private readonly ec2: EC2Client,
  ) {}

  /** Without an account id nothing else is meaningful: a failure here stops the collection. */
  async callerIdentity(): Promise<CallerIdentity> {
    let output: GetCallerIdentityCommandOutput;
    try {
      output = await this.sts.send(new GetCallerIdentityCommand({}));
    } catch (error) {
      throw new CollectionError(`cannot identify the AWS account (${describeError(error)})`, {
        cause: error,
      });
    }
    if (!output.Account) throw new CollectionError('sts:GetCallerIdentity returned no account id');
    return output.Arn ? { accountId: output.Account, arn: output.Arn } : { accountId: output.Account };
  }

  /** The regions enabled for the account (`describe-regions` without opted-out regions), sorted. */
  async enabledRegions(accountId: string): Promise<Read<string[]>> {
    try {
      const output = await this.ec2.send(new DescribeRegionsCommand({ AllRegions: false }));
      const regions = (output.Regions ?? [])
        .filter((region) => region.OptInStatus !== 'not-opted-in')
        .map((region) => region.RegionName)
        .filter((name): name is string => typeof name === 'string' && name !== '');
      return { data: [...new Set(regions)].sort(), gaps: [] };
    } catch (error) {
      return {
        gaps: [
          gapFromError(error, {
            accountId,
            source: 'ec2:DescribeRegions',
            notRead: 'secrets are listed in the home region only',
          }),
        ],
      };
    }
  }
}
