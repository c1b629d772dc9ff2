import type { OrganizationMembership } from '../model';
import { readOrganizationDocument } from '../organization';
import { MALFORMED, type NormalizeContext } from './context';

/** The account's organization from `describe-organization` output; a gap when it is malformed. */
export function readOrganization(ctx: NormalizeContext): OrganizationMembership | undefined {
  if (ctx.raw.organization === undefined) return undefined;
  const organization = readOrganizationDocument(ctx.raw.organization);
  if (organization.membership) return organization.membership;
  ctx.gap(
    ctx.sources.organization,
    undefined,
    MALFORMED,
    organization.problem.path,
    organization.problem.reason,
  );
  return undefined;
}
