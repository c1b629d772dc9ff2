/**
 * Guards around the SDK paginators. They follow the output token while it is present: they do not
 * read IAM's `IsTruncated`, take a truncated page without a token as the last one, and follow a
 * token that comes back again for ever. Each of those would turn into a listing that looks
 * complete, or one that never ends.
 */

/** Whether more pages follow, and the token that asks for the next one. */
export interface PageLink {
  truncated: boolean;
  token: string | undefined;
}

/** IAM listings: more pages follow only while `IsTruncated`, from `Marker`. */
export const iamMarker = (page: { IsTruncated?: boolean; Marker?: string }): PageLink => ({
  truncated: page.IsTruncated === true,
  token: page.Marker,
});

/** Listings with `NextToken` only (Secrets Manager): more pages follow while it is non-empty. */
export const nextToken = (page: { NextToken?: string }): PageLink => ({
  truncated: Boolean(page.NextToken),
  token: page.NextToken,
});

/** A listing that cannot be followed to its end: the pages read are not the whole list. */
export class PaginationError extends Error {
  override readonly name = 'PaginationError';
  constructor(readonly page: number) {
    super(`Page ${page} is marked truncated but has no new marker`);
  }
}

/**
 * The pages of `pages` up to the last one `link` reports as not truncated; no page is requested
 * after it. A truncated page whose token is missing or was seen before throws `PaginationError`
 * once the caller has taken that page, before any further request.
 */
export async function* checkedPages<P>(
  pages: AsyncIterable<P>,
  link: (page: P) => PageLink,
): AsyncGenerator<P, void, undefined> {
  const seen = new Set<string>();
  let count = 0;
  for await (const page of pages) {
    count++;
    yield page;
    const { truncated, token } = link(page);
    if (!truncated) return;
    if (!token || seen.has(token)) throw new PaginationError(count);
    seen.add(token);
  }
}
