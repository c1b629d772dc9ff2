import type { Inventory } from '../model';
import type { RawAccountData } from '../raw';
import { readAccount } from './account';
import { readAuthorizationDetails } from './authorization-details';
import { readServerCertificates } from './certificates';
import { NormalizeContext } from './context';
import { parseReport, readCredentialReport, reportGeneratedAt } from './credential-report';
import { readOrganization } from './organization';
import { readSecrets } from './secrets';
import { readServiceLastAccessed } from './service-last-accessed';

export { parseAwsTimestamp, TimestampFormatError } from '../credential-report';

/**
 * Turns the raw AWS documents into the `Inventory` the rules read. Pure, one pass per document,
 * linear in the input. Whatever is malformed becomes a `CoverageGap` (category `Malformed`, with the
 * JSON path or CSV line in `detail`) and everything else is still normalized: a role with an
 * unparsable trust policy is still a role, without `trustPolicy`.
 *
 * One module per source reads it into the shared context; the order matters, as later sources
 * attach to what earlier ones read (credentials to users, last accessed data to principals).
 */
export function normalize(raw: RawAccountData): Inventory {
  const ctx = new NormalizeContext(raw);
  const pages = Array.isArray(raw.authorizationDetails)
    ? raw.authorizationDetails
    : [raw.authorizationDetails];
  const report = parseReport(ctx);
  const collectedAt = readAccount(ctx, pages, report.report);
  const inventory: Inventory = {
    accountId: ctx.accountId,
    roles: ctx.roles,
    users: ctx.users,
    groups: ctx.groups,
    accessKeys: ctx.accessKeys,
    secrets: ctx.secrets,
    serverCertificates: ctx.serverCertificates,
    managedPolicies: ctx.managedPolicies,
    coverageGaps: [],
  };
  if (collectedAt) inventory.collectedAt = collectedAt;
  const generatedAt = reportGeneratedAt(ctx);
  if (generatedAt) inventory.credentialReportGeneratedAt = generatedAt;
  const organization = readOrganization(ctx);
  if (organization) inventory.organization = organization;

  const usablePages = readAuthorizationDetails(ctx, pages);
  readCredentialReport(ctx, report, usablePages > 0);
  readServiceLastAccessed(ctx);
  readSecrets(ctx);
  readServerCertificates(ctx);

  inventory.coverageGaps = ctx.gapList();
  return inventory;
}
