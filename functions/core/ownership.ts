import picomatch from 'picomatch';
import type { Inventory, Snapshot, Tags } from './model';

/**
 * Who owns an identity. Offboarding misses what nobody owns: every finding names its identity's
 * owner, and an identity without one is a finding of its own (`identity-owner-missing`).
 *
 * Roles, users and secrets are owned through their tags (the first configured key, matched
 * case-insensitively, with a non-empty value), else through the first configured ARN pattern that
 * matches. An access key is owned by its user's owner. Anything else (server certificates,
 * groups, the account itself) has no tags here and is owned only through a pattern.
 */

/** The ownership part of the scan settings (see `OwnershipSchema`). */
export interface OwnershipRules {
  tagKeys: readonly string[];
  patterns: readonly { arn: string; owner: string }[];
}

export interface Owner {
  id: string;
  /** `tag:<key as written on the resource>` or `pattern:<the matching pattern>`. */
  source: string;
}

/** The owner a resource's tags name: the first configured key with a non-empty value. */
export function ownerFromTags(tags: Tags, tagKeys: readonly string[]): Owner | undefined {
  const keys = Object.keys(tags);
  for (const wanted of tagKeys) {
    const lower = wanted.toLowerCase();
    // IAM tag keys are case-sensitive, so `Owner` and `owner` can both be present: the key spelt
    // as configured wins, then the others in a stable order, so the result never depends on the
    // order AWS listed the tags in.
    const matching = keys
      .filter((key) => key.toLowerCase() === lower)
      .sort((a, b) => Number(b === wanted) - Number(a === wanted) || (a < b ? -1 : a > b ? 1 : 0));
    for (const key of matching) {
      const value = tags[key]!.trim();
      if (value !== '') return { id: value, source: `tag:${key}` };
    }
  }
  return undefined;
}

/** Compiled ARN patterns; the first that matches names the owner. */
export function ownerPatterns(patterns: OwnershipRules['patterns']): (arn: string) => Owner | undefined {
  const compiled = patterns.map((p) => ({
    pattern: p,
    matches: /[*?[\]{}]/.test(p.arn) ? picomatch(p.arn, { dot: true }) : (arn: string) => arn === p.arn,
  }));
  return (arn) => {
    for (const { pattern, matches } of compiled) {
      if (matches(arn)) return { id: pattern.owner.trim(), source: `pattern:${pattern.arn}` };
    }
    return undefined;
  };
}

export type OwnerLookup = (snapshot: Snapshot) => Owner | undefined;

/**
 * The owner of each snapshot. Roles, users and secrets carry their tags; an access key (whose ARN
 * is its user's) and a coverage gap about a known identity take the tags of the identity of their
 * ARN in `inventory`. Without an inventory, only the snapshot's own tags and the patterns count.
 */
export function ownerLookup(
  settings: OwnershipRules,
  inventory?: Pick<Inventory, 'roles' | 'users' | 'secrets'>,
): OwnerLookup {
  const byPattern = ownerPatterns(settings.patterns);
  const tagged = new Map<string, Tags>();
  for (const role of inventory?.roles ?? []) tagged.set(role.arn, role.tags);
  for (const user of inventory?.users ?? []) tagged.set(user.arn, user.tags);
  for (const secret of inventory?.secrets ?? []) tagged.set(secret.arn, secret.tags);
  const resolve = (snapshot: Snapshot): Owner | undefined => {
    const tags = 'tags' in snapshot ? snapshot.tags : tagged.get(snapshot.arn);
    return (tags ? ownerFromTags(tags, settings.tagKeys) : undefined) ?? byPattern(snapshot.arn);
  };
  if (!inventory) return resolve;
  // With the inventory, every snapshot of an ARN has the same tags: resolve each ARN once.
  const cache = new Map<string, Owner | null>();
  return (snapshot) => {
    let owner = cache.get(snapshot.arn);
    if (owner === undefined) {
      owner = resolve(snapshot) ?? null;
      cache.set(snapshot.arn, owner);
    }
    return owner ?? undefined;
  };
}
