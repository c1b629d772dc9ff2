import type { Inventory, UserSnapshot } from '../model';
import { daysBetween, type PrivilegeAnalyzer, type PrivilegeSummary } from '../rule';
import type { Thresholds } from '../thresholds';

/**
 * The account's posture beyond its findings: the age of every credential and the privilege and
 * staleness of every identity, healthy ones included. Findings only name what failed; a chart of
 * credential ages or of privilege against staleness needs the whole population. Counts only, in
 * fixed buckets, so the posture of many accounts adds up and stays a few hundred bytes.
 */
export interface ReportPosture {
  credentials: {
    /** Active access keys by days since creation (their last rotation); inactive keys counted apart. */
    accessKeys: AgeHistogram & { inactive: number };
    /** Secrets by days since their last rotation, else since creation; never-rotated ones counted too. */
    secrets: AgeHistogram & { neverRotated: number };
  };
  /** Roles and users (the root user included) by privilege and by use. */
  identities: IdentityMatrix;
}

/** Upper bounds (exclusive, days) of the age buckets; the last bucket is everything older. */
export const AGE_BUCKET_BOUNDS = [30, 60, 90, 180, 365, 730] as const;
export const AGE_BUCKET_LABELS = ['< 30', '30–59', '60–89', '90–179', '180–364', '365–729', '≥ 730'] as const;

export interface AgeHistogram {
  /** One count per `AGE_BUCKET_LABELS` entry. */
  counts: number[];
  /** Credentials whose creation or rotation date is not known. */
  unknown: number;
  /** The rotation window in force, so a chart can mark what is overdue. */
  thresholdDays: number;
}

export const PRIVILEGE_LEVELS = ['admin-equivalent', 'escalation-capable', 'other', 'unknown'] as const;
export type PrivilegeLevel = (typeof PRIVILEGE_LEVELS)[number];

export const USE_STATES = ['recent', 'stale', 'never', 'unknown'] as const;
/**
 * `recent`: used within its unused window; `stale`: last used before it; `never`: no recorded use;
 * `unknown`: its use could not be read (a user missing from the credential report).
 */
export type UseState = (typeof USE_STATES)[number];

export type IdentityMatrix = Record<PrivilegeLevel, Record<UseState, number>>;

export interface PostureOptions {
  now: Date;
  thresholds: Thresholds;
  privilege: PrivilegeAnalyzer;
}

export function computePosture(inventory: Inventory, options: PostureOptions): ReportPosture {
  const { now, thresholds } = options;
  const accessKeys = { ...emptyHistogram(thresholds.accessKeyRotationDays), inactive: 0 };
  for (const key of inventory.accessKeys) {
    if (!key.active) {
      accessKeys.inactive++;
      continue;
    }
    addAge(accessKeys, key.createdAt, now);
  }
  const secrets = { ...emptyHistogram(thresholds.secretRotationDays), neverRotated: 0 };
  for (const secret of inventory.secrets) {
    if (!secret.lastRotatedAt) secrets.neverRotated++;
    addAge(secrets, secret.lastRotatedAt ?? secret.createdAt, now);
  }

  const identities = emptyMatrix();
  for (const role of inventory.roles) {
    const level = privilegeLevel(() => options.privilege(role));
    identities[level][useState(role.lastUsedAt, thresholds.roleUnusedDays, now)]++;
  }
  for (const user of inventory.users) {
    const level = privilegeLevel(() => options.privilege(user));
    identities[level][userUseState(user, thresholds, now)]++;
  }
  return { credentials: { accessKeys, secrets }, identities };
}

/** The bucket index of an age in days. */
export function ageBucket(days: number): number {
  const index = AGE_BUCKET_BOUNDS.findIndex((bound) => days < bound);
  return index === -1 ? AGE_BUCKET_BOUNDS.length : index;
}

/** The posture of several accounts together; undefined when any of them has none (not all was measured). */
export function mergePostures(postures: readonly (ReportPosture | undefined)[]): ReportPosture | undefined {
  if (postures.length === 0 || postures.some((p) => p === undefined)) return undefined;
  const all = postures as readonly ReportPosture[];
  const first = all[0]!;
  const accessKeys = { ...emptyHistogram(first.credentials.accessKeys.thresholdDays), inactive: 0 };
  const secrets = { ...emptyHistogram(first.credentials.secrets.thresholdDays), neverRotated: 0 };
  const identities = emptyMatrix();
  for (const p of all) {
    addHistogram(accessKeys, p.credentials.accessKeys);
    accessKeys.inactive += p.credentials.accessKeys.inactive;
    addHistogram(secrets, p.credentials.secrets);
    secrets.neverRotated += p.credentials.secrets.neverRotated;
    for (const level of PRIVILEGE_LEVELS) {
      for (const state of USE_STATES) identities[level][state] += p.identities[level][state];
    }
  }
  return { credentials: { accessKeys, secrets }, identities };
}

function emptyHistogram(thresholdDays: number): AgeHistogram {
  return { counts: AGE_BUCKET_LABELS.map(() => 0), unknown: 0, thresholdDays };
}

function emptyMatrix(): IdentityMatrix {
  const row = () => ({ recent: 0, stale: 0, never: 0, unknown: 0 });
  return {
    'admin-equivalent': row(),
    'escalation-capable': row(),
    other: row(),
    unknown: row(),
  };
}

function addAge(histogram: AgeHistogram, since: Date | undefined, now: Date): void {
  if (!since) {
    histogram.unknown++;
    return;
  }
  // A date after the evaluation time (clock skew, --as-of in the past) is as young as it gets.
  const index = ageBucket(Math.max(0, daysBetween(since, now)));
  histogram.counts[index] = (histogram.counts[index] ?? 0) + 1;
}

function addHistogram(into: AgeHistogram, from: AgeHistogram): void {
  from.counts.forEach((count, i) => {
    into.counts[i] = (into.counts[i] ?? 0) + count;
  });
  into.unknown += from.unknown;
}

/** Admin-equivalence outranks escalation paths; an analysis that fails leaves the level unknown. */
function privilegeLevel(analyze: () => PrivilegeSummary): PrivilegeLevel {
  try {
    const summary = analyze();
    if (summary.adminEquivalent) return 'admin-equivalent';
    return summary.escalationPaths.length > 0 ? 'escalation-capable' : 'other';
  } catch {
    return 'unknown';
  }
}

/** Stale at exactly the window, as the unused rules count it. */
function useState(lastUsedAt: Date | undefined, windowDays: number, now: Date): UseState {
  if (!lastUsedAt) return 'never';
  return daysBetween(lastUsedAt, now) >= windowDays ? 'stale' : 'recent';
}

/**
 * A user's last use is the latest of its password's and its keys'. The window is the longest of
 * the credentials it holds, so a user is stale only when every way it signs in is.
 */
function userUseState(user: UserSnapshot, thresholds: Thresholds, now: Date): UseState {
  const credentials = user.credentials;
  if (!credentials) return 'unknown';
  const uses = [credentials.passwordLastUsedAt, ...credentials.accessKeys.map((k) => k.lastUsedAt)].filter(
    (d): d is Date => d !== undefined,
  );
  const windows = [
    ...(credentials.passwordEnabled ? [thresholds.passwordUnusedDays] : []),
    ...(credentials.accessKeys.some((k) => k.active) ? [thresholds.accessKeyUnusedDays] : []),
  ];
  const window = windows.length > 0 ? Math.max(...windows) : thresholds.accessKeyUnusedDays;
  const last = uses.reduce<Date | undefined>((a, b) => (a && a.getTime() >= b.getTime() ? a : b), undefined);
  return useState(last, window, now);
}
