import type { OrganizationMembership } from './model';

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** What a `describe-organization` document says, or why it says nothing. */
export type OrganizationDocument =
  | { membership: OrganizationMembership; problem?: undefined }
  | { membership?: undefined; problem: { path: string; reason: string } };

/**
 * Reads `aws organizations describe-organization` output (`{"Organization": {"Id": ...,
 * "MasterAccountId": ...}}`), or `{"Organization": null}` for an account in no organization (the
 * command itself fails with AWSOrganizationsNotInUseException there). A malformed document says
 * where, and leaves the organization unknown.
 */
export function readOrganizationDocument(value: unknown): OrganizationDocument {
  if (!isRecord(value)) return problem('$', 'The organization document is not an object');
  if (!('Organization' in value)) return problem('$', 'The organization document has no Organization');
  const organization = value.Organization;
  if (organization === null) return { membership: { status: 'none' } };
  if (!isRecord(organization)) return problem('$.Organization', 'Organization is not an object or null');
  const id = organization.Id;
  if (typeof id !== 'string' || !ORGANIZATION_ID.test(id)) {
    return problem(
      '$.Organization.Id',
      `Organization.Id is ${JSON.stringify(id) ?? 'missing'}, not an organization id like o-abc1234567`,
    );
  }
  const management = organization.MasterAccountId;
  return {
    membership: {
      status: 'member',
      id,
      ...(typeof management === 'string' && ACCOUNT_ID.test(management)
        ? { managementAccountId: management }
        : {}),
    },
  };
}

function problem(path: string, reason: string): OrganizationDocument {
  return {
    problem: {
      path,
      reason: `${reason}; the account's organization is unknown, so policies held to an organization are reported as unconfirmed.`,
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
