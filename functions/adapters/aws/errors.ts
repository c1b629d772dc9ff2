import { isThrottlingError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';
import type { CoverageGap } from '../../core/model';
import { CollectionError } from '../collection-error';
import { PaginationError } from './pages';

export { CollectionError };

/** Why an AWS read failed, as recorded on a coverage gap. */
export type GapCategory =
  | 'AccessDenied'
  | 'Throttling'
  | 'RegionDisabled'
  | 'Timeout'
  | 'NotFound'
  | 'Malformed'
  | 'ServiceError';

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'Forbidden',
]);

/** What a regional endpoint answers (or fails with) when the region is not enabled for the account. */
const REGION_DISABLED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'OptInRequired',
  'AuthFailure',
  'EndpointError',
]);

/** Network errors for an endpoint that does not exist (a region unknown to the partition). */
const UNREACHABLE_ENDPOINT_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);

const NOT_FOUND = new Set(['ResourceNotFoundException', 'NoSuchEntityException', 'NoSuchEntity']);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Classifies an SDK error by its name (and, for network failures, its system error code).
 * Throttling is what the SDK's own retry strategy counts as throttling: HTTP 429, the SDK's list
 * of throttling codes, or a throttling retry trait. For regional calls, an unrecognized token or
 * an unreachable endpoint means the region is disabled; for global services the same errors are
 * plain failures.
 */
export function classifyAwsError(error: unknown, options: { regional?: boolean } = {}): GapCategory {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkLikeError;
  const name = typeof e.name === 'string' ? e.name : '';
  if (ACCESS_DENIED.has(name)) return 'AccessDenied';
  if (isThrottlingError(e as SdkError)) return 'Throttling';
  if (options.regional) {
    if (REGION_DISABLED.has(name)) return 'RegionDisabled';
    if (typeof e.code === 'string' && UNREACHABLE_ENDPOINT_CODES.has(e.code)) return 'RegionDisabled';
  }
  if (NOT_FOUND.has(name)) return 'NotFound';
  return 'ServiceError';
}

import { describeError } from '../../core/describe-error';

export { describeError };

export interface GapInput {
  accountId: string;
  /**
   * The resource; left empty for a gap about a whole API, which `normalize` then attributes to
   * the account's ARN (in the account's partition).
   */
  arn?: string;
  /** The API operation, e.g. `iam:GetAccountAuthorizationDetails`. */
  source: string;
  reason: string;
  category: GapCategory;
  detail?: string;
}

export function coverageGap(input: GapInput): CoverageGap {
  return {
    kind: 'coverage-gap',
    arn: input.arn ?? '',
    accountId: input.accountId,
    source: input.source,
    reason: input.reason,
    category: input.category,
    ...(input.detail === undefined ? {} : { detail: input.detail }),
  };
}

const CATEGORY_SENTENCES: Record<GapCategory, string> = {
  AccessDenied: 'Access was denied',
  Throttling: 'Requests were still throttled after every retry',
  RegionDisabled: 'The region is not enabled for this account',
  Timeout: 'The request timed out',
  NotFound: 'It no longer exists',
  Malformed: 'The response was malformed',
  ServiceError: 'The request failed',
};

/**
 * A gap for a failed read: `<what happened> (<error>); <what was not read>.`, e.g. "Access was
 * denied (AccessDenied: ...); no secret in eu-west-1 was read." With `failedPage`, the request
 * for that page (1-based) failed and the reason says so. A listing whose pages could not be
 * followed (`PaginationError`) is Malformed: "Page 2 is marked truncated but has no new marker;
 * <what was not read>."
 */
export function gapFromError(
  error: unknown,
  input: Omit<GapInput, 'reason' | 'category'> & { notRead: string; regional?: boolean; failedPage?: number },
): CoverageGap {
  const { notRead, regional, failedPage, ...rest } = input;
  if (error instanceof PaginationError) {
    return coverageGap({ ...rest, category: 'Malformed', reason: `${error.message}; ${notRead}.` });
  }
  const category = classifyAwsError(error, { regional });
  const where = failedPage === undefined ? '' : ` (page ${failedPage} failed)`;
  return coverageGap({
    ...rest,
    category,
    reason: `${CATEGORY_SENTENCES[category]} (${describeError(error)}); ${notRead}${where}.`,
  });
}
