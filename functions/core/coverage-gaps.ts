import { arnResource, isAccountRootArn } from './arn';
import type { CoverageGap } from './model';

/**
 * Grouping of coverage gaps: the same problem seen many times (a million malformed role records,
 * a denied call per user) is one gap with a count, its first places and the resources it touches,
 * so a report and its memory grow with the number of problems, not with the number of records.
 *
 * A problem is a source (export file or API operation), a category and the pattern of the place
 * (`$.RoleDetailList[*].RoleName`, `line *`, a region). A gap seen once is kept as it is.
 */

/** How many places of a grouped gap are kept. */
export const MAX_GAP_PLACES = 5;
/** How many resources of a grouped gap are kept; beyond, it weighs on its whole data set. */
export const MAX_GAP_RESOURCES = 1000;

/**
 * The pattern of a place: array indices, quoted keys and line or column numbers become `*`.
 * `$['arn:aws:iam::1:user/a'].JobStatus` -> `$[*].JobStatus`, `line 3, column 1` -> `line *, column *`.
 */
export function placePattern(place: string): string {
  return place.replace(/\[(\d+|'(?:[^'\\]|\\.)*')\]/g, '[*]').replace(/\b(line|column) \d+/g, '$1 *');
}

/** How many times the gap was seen. */
export function gapCount(gap: Pick<CoverageGap, 'count'>): number {
  return gap.count ?? 1;
}

/** Where the gap was seen: its first places. */
export function gapPlaces(gap: Pick<CoverageGap, 'places' | 'detail'>): string[] {
  return gap.places ?? (gap.detail === undefined ? [] : [gap.detail]);
}

/** The resources the gap touches (as far as they are kept; see `resourcesOverflow`). */
export function gapResources(gap: Pick<CoverageGap, 'resources' | 'arn'>): string[] {
  return gap.resources ?? [gap.arn];
}

interface Group {
  first: CoverageGap;
  pattern: string | undefined;
  count: number;
  places: string[];
  resources: Set<string>;
  overflow: boolean;
}

/** Collects gaps one by one, keeping one group per problem. */
export class CoverageGapGroups {
  private readonly groups = new Map<string, Group>();

  /**
   * `problem` tells apart different problems recorded at the same place pattern (a page that is
   * not an object, a page that is not authorization details), whatever their wording.
   */
  add(gap: CoverageGap, problem = ''): void {
    const pattern = gap.detail === undefined ? undefined : placePattern(gap.detail);
    const key = `${gap.accountId}\n${gap.source}\n${gap.category}\n${pattern === undefined ? '\u0000' : pattern}\n${problem}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { first: gap, pattern, count: 0, places: [], resources: new Set(), overflow: false };
      this.groups.set(key, group);
    }
    group.count += gapCount(gap);
    addPlaces(group, gapPlaces(gap));
    if (gap.resourcesOverflow) group.overflow = true;
    addResources(group, gapResources(gap));
  }

  /** Adds every group of `other`, after this one's. */
  addGroups(other: CoverageGapGroups): void {
    for (const [key, group] of other.groups) {
      const mine = this.groups.get(key);
      if (!mine) {
        this.groups.set(key, group);
        continue;
      }
      mine.count += group.count;
      addPlaces(mine, group.places);
      if (group.overflow) mine.overflow = true;
      addResources(mine, group.resources);
    }
  }

  /**
   * The gaps in the order their problems were first seen. A grouped gap is about its one resource,
   * or else about `accountArn`, so its identity does not depend on which record came first.
   */
  list(accountArn: string): CoverageGap[] {
    return [...this.groups.values()].map((group) =>
      group.count === 1 ? group.first : grouped(group, accountArn),
    );
  }
}

function addPlaces(group: Group, places: Iterable<string>): void {
  for (const place of places) {
    if (group.places.length >= MAX_GAP_PLACES) return;
    if (!group.places.includes(place)) group.places.push(place);
  }
}

function addResources(group: Group, resources: Iterable<string>): void {
  for (const arn of resources) {
    if (group.overflow) return;
    if (group.resources.has(arn)) continue;
    if (group.resources.size >= MAX_GAP_RESOURCES) group.overflow = true;
    else group.resources.add(arn);
  }
}

/** The gaps grouped by problem (see `CoverageGapGroups`). */
export function groupCoverageGaps(gaps: Iterable<CoverageGap>, accountArn: string): CoverageGap[] {
  const groups = new CoverageGapGroups();
  for (const gap of gaps) groups.add(gap);
  return groups.list(accountArn);
}

function grouped(group: Group, accountArn: string): CoverageGap {
  const { first } = group;
  const resources = [...group.resources];
  const gap: CoverageGap = {
    kind: 'coverage-gap',
    arn: resources.length === 1 && !group.overflow ? resources[0]! : accountArn,
    accountId: first.accountId,
    source: first.source,
    reason: first.reason,
    category: first.category,
    count: group.count,
    places: group.places,
    resources,
    resourcesOverflow: group.overflow,
  };
  if (group.pattern !== undefined) gap.detail = group.pattern;
  return gap;
}

/**
 * The resources a gap touches, for people: `role/a, role/b, role/c and 997 more`, `over 997 more`
 * when the list overflowed, `the whole account` for a gap about the account.
 */
export function describeGapResources(
  gap: Pick<CoverageGap, 'resources' | 'resourcesOverflow' | 'arn'>,
  shown = 3,
): string {
  const resources = gapResources(gap);
  if (resources.some((arn) => arn === '' || isAccountRootArn(arn))) return 'the whole account';
  const names = resources.slice(0, shown).map(resourceName);
  const rest = resources.length - names.length;
  if (gap.resourcesOverflow) return `${names.join(', ')} and ${rest > 0 ? `over ${rest} ` : ''}more`;
  return rest > 0 ? `${names.join(', ')} and ${rest} more` : names.join(', ');
}

/** `role/ci/deployer` for IAM, `secret:prod/db-AbCdEf` for Secrets Manager. */
function resourceName(arn: string): string {
  return arnResource(arn) ?? arn;
}
