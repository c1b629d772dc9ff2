import type { ParsedCredentialReport } from '../credential-report';
import type { Inventory } from '../model';
import { EXPORT_FILES, type RawAccountData } from '../raw';
import { readAccount } from './account';
import { readAuthorizationDetails } from './authorization-details';
import { readServerCertificates } from './certificates';
import { type Json, NormalizeContext } from './context';
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
 * `parsed` holds documents the caller parsed already (collection reads the credential report
 * to choose whose access keys to list): it must be the parse of the same text.
 *
 * One module per source reads it into the shared context; the order matters, as later sources
 * attach to what earlier ones read (credentials to users, last accessed data to principals).
 */
export function normalize(raw: RawAccountData, parsed: AlreadyParsed = {}): Inventory {
  const ctx = new NormalizeContext(raw);
  const pages = Array.isArray(raw.authorizationDetails)
    ? raw.authorizationDetails
    : [raw.authorizationDetails];
  const report = parseReport(ctx, parsed.credentialReport);
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

/** Documents of a `RawAccountData` that its producer has parsed already. */
export interface AlreadyParsed {
  credentialReport?: ParsedCredentialReport;
}

/** IAM identities read one by one, as `get-account-authorization-details` would list them. */
export interface IdentityDetails {
  /** A page of authorization details holding the identities and every policy they attach. */
  details: Json;
  /** The account id, when the caller knows it; else it is taken from the ARNs. */
  accountId?: string;
  /** `get-service-last-accessed-details` output by principal ARN. */
  serviceLastAccessed?: Record<string, unknown>;
}

/**
 * The same mapping as `normalize`, for identities read one by one (the remediation live re-read):
 * the roles, users and groups of the details, and what was malformed or missing as gaps.
 */
export function normalizeIdentities(
  input: IdentityDetails,
): Pick<Inventory, 'roles' | 'users' | 'groups' | 'coverageGaps'> {
  const raw: RawAccountData = {
    authorizationDetails: [input.details],
    authorizationDetailsShape: 'object',
    coverageGaps: [],
    sources: EXPORT_FILES,
  };
  if (input.accountId !== undefined) raw.account = { AccountId: input.accountId };
  if (input.serviceLastAccessed) raw.serviceLastAccessed = input.serviceLastAccessed;
  const ctx = new NormalizeContext(raw);
  readAccount(ctx, raw.authorizationDetails as unknown[], undefined);
  readAuthorizationDetails(ctx, raw.authorizationDetails as unknown[]);
  readServiceLastAccessed(ctx);
  return { roles: ctx.roles, users: ctx.users, groups: ctx.groups, coverageGaps: ctx.gapList() };
}
