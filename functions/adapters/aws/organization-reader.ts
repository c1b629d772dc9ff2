import { DescribeOrganizationCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { toCliJson } from './cli-shape';
import { gapFromError } from './errors';
import type { Read } from './read';

/** What an account outside any organization is answered (a fact, not a failure). */
const NOT_IN_USE = 'AWSOrganizationsNotInUseException';

/**
 * The account's own organization (`describe-organization`, callable from member accounts). The
 * data is what the AWS CLI prints, or `{ "Organization": null }` when the account is in none.
 */
export class OrganizationReader {
  constructor(private readonly organizations: OrganizationsClient) {}

  async describe(accountId: string): Promise<Read<unknown>> {
    try {
      const output = await this.organizations.send(new DescribeOrganizationCommand({}));
      return { data: toCliJson(output), gaps: [] };
    } catch (error) {
      if ((error as { name?: unknown }).name === NOT_IN_USE)
        return { data: { Organization: null }, gaps: [] };
      return {
        gaps: [
          gapFromError(error, {
            accountId,
            source: 'organizations:DescribeOrganization',
            notRead:
              "the account's organization is unknown, so policies held to an organization are reported as unconfirmed",
          }),
        ],
      };
    }
  }
}
