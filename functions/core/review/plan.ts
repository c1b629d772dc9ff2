import { createHash } from 'node:crypto';
import type { Finding } from '../finding';
import type { Inventory, RoleSnapshot, SecretSnapshot, UserSnapshot } from '../model';
import { ownerLookup } from '../ownership';
import { daysBetween, type PrivilegeAnalyzer, type Severity, severityRank } from '../rule';
import type { OwnershipSettings } from '../settings';
import type { Thresholds } from '../thresholds';
import type { ReviewPeriod, ReviewRhythm, ReviewScope } from './config';
import type { ReviewCampaign, ReviewDecision, ReviewItem } from './types';

/**
 * What a campaign asks and when: which identities each owner reviews (most risky first), which
 * rhythms are due, who is reminded or escalated, and whether a "keep" still holds. Pure: the use
 * cases bring the inventory, the findings and the clock.
 */

/** The owner of identities no tag or pattern names: the escalation channel answers for them. */
export const UNOWNED = '(unowned)';

export interface PlanInput {
  campaignId: string;
  scope: ReviewScope;
  accountId: string;
  inventory: Inventory;
  /** The account's open findings. */
  findings: readonly Finding[];
  privilege: PrivilegeAnalyzer;
  ownership: Pick<OwnershipSettings, 'tagKeys' | 'patterns'>;
  thresholds: Pick<Thresholds, 'serviceUnusedDays'>;
  now: Date;
}

type Identity = RoleSnapshot | UserSnapshot | SecretSnapshot;

/** Stable within a campaign and across campaigns: the same identity has the same item id. */
export function reviewItemId(identityArn: string): string {
  return createHash('sha256').update(identityArn).digest('hex').slice(0, 16);
}

/**
 * The non-human identities of the inventory: every role but service-linked and IAM Identity Center
 * ones (AWS manages them; the latter are people's permission sets), users that hold an access key
 * or have no console password (a user whose credential report row is missing is listed too: whether
 * it is a workload is unknown, and reviewing it costs less than missing it), and every secret.
 */
export function reviewableIdentities(inventory: Inventory): Identity[] {
  const roles = inventory.roles.filter(
    (role) =>
      !role.path.startsWith('/aws-service-role/') &&
      !role.path.startsWith('/aws-reserved/sso.amazonaws.com/') &&
      !role.name.startsWith('AWSReservedSSO_'),
  );
  const users = inventory.users.filter((user) => {
    if (user.isRoot) return false;
    const credentials = user.credentials;
    if (!credentials) return true;
    return credentials.accessKeys.some((key) => key.active) || !credentials.passwordEnabled;
  });
  return [...roles, ...users, ...inventory.secrets];
}

export function planReviewItems(input: PlanInput): ReviewItem[] {
  const ownerOf = ownerLookup(input.ownership, input.inventory);
  const findingsByArn = new Map<string, Finding[]>();
  for (const finding of input.findings) {
    const list = findingsByArn.get(finding.resourceArn) ?? [];
    list.push(finding);
    findingsByArn.set(finding.resourceArn, list);
  }
  const items: ReviewItem[] = [];
  for (const identity of reviewableIdentities(input.inventory)) {
    const privilege = identity.kind === 'secret' ? undefined : input.privilege(identity);
    const adminEquivalent = privilege?.adminEquivalent ?? false;
    const canEscalate = (privilege?.escalationPaths.length ?? 0) > 0;
    if (input.scope === 'admin-equivalent' && !adminEquivalent) continue;
    if (input.scope === 'escalation' && !adminEquivalent && !canEscalate) continue;
    const openFindings = (findingsByArn.get(identity.arn) ?? [])
      .map((f) => ({ ruleId: f.ruleId, severity: f.severity, findingId: f.id }))
      .sort(
        (a, b) =>
          severityRank(a.severity) - severityRank(b.severity) ||
          compare(a.ruleId, b.ruleId) ||
          compare(a.findingId, b.findingId),
      );
    const lastUsed = lastUsedAt(identity);
    const item: ReviewItem = {
      itemId: reviewItemId(identity.arn),
      campaignId: input.campaignId,
      owner: ownerOf(identity)?.id ?? UNOWNED,
      identityArn: identity.arn,
      identityKind: identity.kind,
      identityName: identity.name,
      accountId: identity.accountId,
      adminEquivalent,
      canEscalate,
      openFindings,
      risk: 0,
    };
    const unused = unusedServices(identity, input.thresholds.serviceUnusedDays, input.now);
    if (unused) item.unusedServices = unused;
    if (lastUsed) item.lastUsedAt = lastUsed.toISOString();
    const ages = credentialAges(identity, input.now);
    if (ages.length > 0) item.credentialAgesDays = ages;
    item.risk = reviewRisk({
      adminEquivalent,
      canEscalate,
      severities: openFindings.map((f) => f.severity),
      staleDays: staleDays(identity, lastUsed, input.now),
    });
    items.push(item);
  }
  return sortItems(items);
}

/** Most risky first; ties by identity ARN so the order never depends on the inventory's. */
export function sortItems(items: ReviewItem[]): ReviewItem[] {
  return items.sort((a, b) => b.risk - a.risk || compare(a.identityArn, b.identityArn));
}

/**
 * The ordering key, as one number: admin-equivalent outranks everything, then an open escalation
 * path, then the worst open finding (then how many there are), then days since last use.
 */
export function reviewRisk(input: {
  adminEquivalent: boolean;
  canEscalate: boolean;
  severities: readonly Severity[];
  staleDays: number;
}): number {
  const worst = input.severities.length === 0 ? 0 : 5 - Math.min(...input.severities.map(severityRank));
  return (
    (input.adminEquivalent ? 1e9 : 0) +
    (input.canEscalate ? 1e8 : 0) +
    worst * 1e7 +
    Math.min(input.severities.length, 999) * 1e4 +
    Math.min(Math.max(input.staleDays, 0), 9999)
  );
}

function lastUsedAt(identity: Identity): Date | undefined {
  switch (identity.kind) {
    case 'role':
      return identity.lastUsedAt;
    case 'secret':
      return identity.lastAccessedAt;
    case 'user': {
      const dates = [
        identity.credentials?.passwordLastUsedAt,
        ...(identity.credentials?.accessKeys.map((key) => key.lastUsedAt) ?? []),
      ].filter((d): d is Date => d !== undefined);
      return dates.length === 0 ? undefined : new Date(Math.max(...dates.map((d) => d.getTime())));
    }
  }
}

/** Days since last use, else since creation (never used); 0 when neither is known. */
function staleDays(identity: Identity, lastUsed: Date | undefined, now: Date): number {
  const since = lastUsed ?? identity.createdAt;
  return since ? daysBetween(since, now) : 0;
}

function credentialAges(identity: Identity, now: Date): number[] {
  if (identity.kind === 'user') {
    return (identity.credentials?.accessKeys ?? [])
      .filter((key) => key.active && key.createdAt)
      .map((key) => daysBetween(key.createdAt!, now));
  }
  if (identity.kind === 'secret') {
    const since = identity.lastRotatedAt ?? identity.createdAt;
    return since ? [daysBetween(since, now)] : [];
  }
  return [];
}

/** Granted services not used within the window, when service last accessed data was read. */
function unusedServices(identity: Identity, windowDays: number, now: Date): string[] | undefined {
  if (identity.kind === 'secret' || !identity.serviceLastAccessed) return undefined;
  return identity.serviceLastAccessed.services
    .filter((s) => !s.lastAuthenticatedAt || daysBetween(s.lastAuthenticatedAt, now) >= windowDays)
    .map((s) => s.namespace)
    .sort(compare);
}

// ------------------------------------------------------------------------------------ rhythms

/** The calendar period (UTC) an instant falls in: `2026-Q4`, `2026-12`, `2026-W49` (ISO week). */
export function periodOf(every: ReviewPeriod, at: Date): string {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  switch (every) {
    case 'quarterly':
      return `${year}-Q${Math.floor(month / 3) + 1}`;
    case 'monthly':
      return `${year}-${String(month + 1).padStart(2, '0')}`;
    case 'weekly': {
      // ISO 8601: the week belongs to the year of its Thursday.
      const day = new Date(Date.UTC(year, month, at.getUTCDate()));
      const weekday = day.getUTCDay() || 7;
      day.setUTCDate(day.getUTCDate() + 4 - weekday);
      const weekYear = day.getUTCFullYear();
      const week = Math.ceil(((day.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
      return `${weekYear}-W${String(week).padStart(2, '0')}`;
    }
  }
}

/** The rhythms whose current period has no campaign yet (never started, or last started in an earlier period). */
export function dueRhythms(
  rhythms: readonly ReviewRhythm[],
  lastStarted: Record<string, string | undefined>,
  now: Date,
): string[] {
  return rhythms
    .filter((rhythm) => {
      const last = lastStarted[rhythm.name];
      if (last === undefined) return true;
      const at = new Date(last);
      if (Number.isNaN(at.getTime())) return true;
      return periodOf(rhythm.every, at) !== periodOf(rhythm.every, now);
    })
    .map((rhythm) => rhythm.name);
}

/**
 * A rhythm's campaign id for one account and period: a redelivered or repeated start in the same
 * period names the same campaign, and the store's conditional create makes it a no-op.
 */
export function rhythmCampaignId(
  rhythm: Pick<ReviewRhythm, 'name' | 'every'>,
  accountId: string,
  now: Date,
): string {
  return `${rhythm.name}.${periodOf(rhythm.every, now)}.${accountId}`;
}

/** A campaign started by hand: the instant, to the second, keeps two starts apart. */
export function manualCampaignId(accountId: string, now: Date): string {
  return `manual.${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}.${accountId}`;
}

// ------------------------------------------------------------------------------- reminders

export interface ReminderPlan {
  /** Unanswered, not reminded yet, at or past the reminder instant and before the deadline. */
  remind: ReviewItem[];
  /** Unanswered at or past the deadline, not escalated yet. */
  escalate: ReviewItem[];
  /** The same items as `escalate`: each becomes overdue once, when it is escalated. */
  overdue: ReviewItem[];
}

export function nextReminders(
  campaign: Pick<ReviewCampaign, 'remindAt' | 'deadline'>,
  items: readonly ReviewItem[],
  now: Date,
): ReminderPlan {
  const remindAt = Date.parse(campaign.remindAt);
  const deadline = Date.parse(campaign.deadline);
  const at = now.getTime();
  const open = items.filter((item) => !item.decision);
  if (at >= deadline) {
    const escalate = open.filter((item) => !item.escalatedAt);
    return { remind: [], escalate, overdue: [...escalate] };
  }
  if (at >= remindAt) return { remind: open.filter((item) => !item.remindedAt), escalate: [], overdue: [] };
  return { remind: [], escalate: [], overdue: [] };
}

/** `attested` while a "keep" holds (up to, not including, its expiry); `expired` after; `none` otherwise. */
export function attestationState(
  decision: ReviewDecision | undefined,
  now: Date,
): 'attested' | 'expired' | 'none' {
  if (decision?.answer !== 'keep' || !decision.attestedUntil) return 'none';
  return now.getTime() < Date.parse(decision.attestedUntil) ? 'attested' : 'expired';
}

/** Groups items by owner, owners in order of first appearance (the riskiest item's owner first). */
export function byOwner(items: readonly ReviewItem[]): { owner: string; items: ReviewItem[] }[] {
  const groups = new Map<string, ReviewItem[]>();
  for (const item of items) {
    const list = groups.get(item.owner) ?? [];
    list.push(item);
    groups.set(item.owner, list);
  }
  return [...groups].map(([owner, list]) => ({ owner, items: list }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
