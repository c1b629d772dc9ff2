import type { CoverageGap } from './model';

/**
 * The raw AWS documents, exactly as the AWS CLI prints them (or as the SDK returns them). This is
 * where live collection and offline export reading meet: both produce a `RawAccountData`, and
 * `normalize` turns it into an `Inventory`. Values are `unknown` because they are untrusted input;
 * `normalize` validates them and turns what is malformed into coverage gaps.
 */
export interface RawAccountData {
  /** `get-account-authorization-details` page objects (one object is one page). */
  authorizationDetails: unknown[];
  /**
   * `object` when the source held one object rather than an array of pages: paths in coverage gaps
   * then start at `$` instead of `$[0]`. Default `pages`.
   */
  authorizationDetailsShape?: 'object' | 'pages';
  /** The decoded credential report CSV; undefined when it could not be read (a gap says why). */
  credentialReport?: string;
  /** `get-credential-report` GeneratedTime (ISO-8601 string, epoch seconds or Date), when known. */
  credentialReportGeneratedAt?: unknown;
  /** `list-secrets` output (or its bare `SecretList`) per region; key `''`: region taken from each ARN. */
  secrets?: Record<string, unknown>;
  /** `get-resource-policy` outputs. */
  secretPolicies?: unknown[];
  /** `list-server-certificates` output. */
  serverCertificates?: unknown;
  /** Principal ARN -> `get-service-last-accessed-details` output. */
  serviceLastAccessed?: Record<string, unknown>;
  /** User name -> `list-access-keys` output, so findings can name the real key id. */
  accessKeys?: Record<string, unknown>;
  /** `{ AccountId, CollectedAt }`. */
  account?: unknown;
  /**
   * `describe-organization` output, or `{ "Organization": null }` when the account is in no
   * organization; undefined when it was not read (a gap may say why).
   */
  organization?: unknown;
  /**
   * Gaps already known while reading or collecting (access denied, missing file, ...). A gap with
   * an empty `accountId` or `arn` (found before the account was known) gets the account's from
   * `normalize`.
   */
  coverageGaps: CoverageGap[];
  /** Where each document came from, for error messages: a file name or an API operation. */
  sources: RawSources;
}

export interface RawSources {
  authorizationDetails: string;
  credentialReport: string;
  secrets: string;
  secretPolicies: string;
  serverCertificates: string;
  serviceLastAccessed: string;
  accessKeys: string;
  account: string;
  organization: string;
}

/** Export directory file names (DESIGN.md), used as sources for offline input. */
export const EXPORT_FILES: RawSources = {
  authorizationDetails: 'authorization-details.json',
  credentialReport: 'credential-report.csv',
  secrets: 'secrets.json',
  secretPolicies: 'secret-policies.json',
  serverCertificates: 'server-certificates.json',
  serviceLastAccessed: 'service-last-accessed.json',
  accessKeys: 'access-keys.json',
  account: 'account.json',
  organization: 'organization.json',
};

/** Where the account's organization is read from: the live call, or the export file. */
export const ORGANIZATION_SOURCES: readonly string[] = [
  'organizations:DescribeOrganization',
  EXPORT_FILES.organization,
];

/**
 * The source of the just-in-time state (eligibilities, break-glass elevations): iam-posture's own
 * findings table, read by a deployed scan; never part of an export.
 */
export const JIT_STATE_SOURCE = 'iam-posture:jit-state';

/**
 * The source of the entitlement review state (review standings, attestations): iam-posture's own
 * findings table, read by a deployed scan where reviews are enabled; never part of an export.
 */
export const REVIEW_STATE_SOURCE = 'iam-posture:review-state';
