import { CoverageGapGroups } from '../coverage-gaps';
import { parseAwsTimestamp, TimestampFormatError } from '../credential-report';
import type {
  AccessKeySnapshot,
  CoverageGap,
  GroupSnapshot,
  ManagedPolicy,
  RoleSnapshot,
  SecretSnapshot,
  ServerCertificateSnapshot,
  Tags,
  UserSnapshot,
} from '../model';
import { PolicyParseError, parsePolicyDocument } from '../policy/parse';
import type { PolicyDocument } from '../policy/types';
import type { RawAccountData, RawSources } from '../raw';

export type Json = Record<string, unknown>;
export type Holder = { kind: 'role' | 'user' | 'group'; name: string; arn: string };
/** What a gap is about: a sentence subject, or an identity rendered as `Role ci-deploy` when needed. */
export type Subject = string | Holder;

/** A value that was present but malformed; a gap already says why. */
export const INVALID = Symbol('invalid');
export type Parsed<T> = T | undefined | typeof INVALID;

export const NONE: readonly unknown[] = Object.freeze([]);
export const MALFORMED = 'Malformed';
export const MISSING = 'Missing';

/**
 * What the per-source readers share while one account is normalized: the account's identity,
 * the snapshots read so far (later sources attach to earlier ones) and the coverage gaps.
 */
export class NormalizeContext {
  readonly sources: RawSources;
  /** Grouped as they are recorded: a million malformed records make one gap, not a million. */
  private readonly gaps = new CoverageGapGroups();
  /** Set by `tags` when a tag could not be read. */
  private tagsMalformed = false;
  accountId = '';
  partition = 'aws';
  accountArn = '';
  readonly managedPolicies = new Map<string, ManagedPolicy>();
  readonly groupsByName = new Map<string, GroupSnapshot>();
  readonly roles: RoleSnapshot[] = [];
  readonly users: UserSnapshot[] = [];
  readonly groups: GroupSnapshot[] = [];
  readonly accessKeys: AccessKeySnapshot[] = [];
  readonly secrets: SecretSnapshot[] = [];
  readonly serverCertificates: ServerCertificateSnapshot[] = [];

  constructor(readonly raw: RawAccountData) {
    this.sources = raw.sources;
  }

  /** Calls `visit` with each entry of a page's list and the entry's JSON path. */
  entries(page: Json, base: string, field: string, visit: (entry: unknown, path: string) => void): void {
    const list = this.list(page[field], base, field);
    for (let i = 0; i < list.length; i++) visit(list[i], `${base}.${field}[${i}]`);
  }

  /** A list field of the authorization details: absent is empty; anything but an array is a gap. */
  list(value: unknown, path: string, field: string): readonly unknown[] {
    if (value === undefined || value === null) return NONE;
    if (Array.isArray(value)) return value;
    this.gap(
      this.sources.authorizationDetails,
      undefined,
      MALFORMED,
      `${path}.${field}`,
      `${path}.${field} is not a list; its entries were not analysed.`,
    );
    return NONE;
  }

  /**
   * `path` and `field` are joined, and `subject` rendered, only when a gap is recorded: nearly every
   * record is fine, and a hundred thousand of them should not allocate messages nobody reads.
   */
  date(
    value: unknown,
    source: string,
    path: string,
    field: string,
    arn: string | undefined,
    subject: Subject,
    consequence: string,
  ): Parsed<Date> {
    try {
      return parseAwsTimestamp(value);
    } catch (error) {
      if (!(error instanceof TimestampFormatError)) throw error;
      const name = field.slice(field.lastIndexOf('.') + 1);
      this.gap(
        source,
        arn,
        MALFORMED,
        join(path, field),
        `${describe(subject)} has a malformed ${name} (${error.message}); ${consequence}.`,
      );
      return INVALID;
    }
  }

  /** `document` names which document of the subject it is, e.g. `The trust policy` (of role x). */
  policyDocument(
    value: unknown,
    source: string,
    path: string,
    field: string,
    arn: string | undefined,
    subject: Subject,
    consequence: string,
    document?: string,
  ): PolicyDocument | undefined {
    try {
      return parsePolicyDocument(value);
    } catch (error) {
      if (!(error instanceof PolicyParseError)) throw error;
      const what = document === undefined ? describe(subject) : `${document} of ${describe(subject, false)}`;
      this.gap(
        source,
        arn,
        MALFORMED,
        join(path, field) + error.path.slice(1),
        `${what} is malformed (${error.problem}); ${consequence}.`,
      );
      return undefined;
    }
  }

  /**
   * The tags of a resource, and `tagsUnread` when some could not be read: the owner they may name
   * is then unknown, not absent.
   */
  tagFields(
    value: unknown,
    source: string,
    path: string,
    field: string,
    arn: string,
    subject: Subject,
  ): { tags: Tags; tagsUnread?: true } {
    this.tagsMalformed = false;
    const tags = this.tags(value, source, path, field, arn, subject);
    return this.tagsMalformed ? { tags, tagsUnread: true } : { tags };
  }

  tags(value: unknown, source: string, path: string, field: string, arn: string, subject: Subject): Tags {
    const tags: Tags = {};
    if (value === undefined || value === null) return tags;
    if (!Array.isArray(value)) {
      this.gap(
        source,
        arn,
        MALFORMED,
        join(path, field),
        `${describe(subject)} has Tags that are not a list; its tags were not read.`,
      );
      this.tagsMalformed = true;
      return tags;
    }
    for (let i = 0; i < value.length; i++) {
      const tag = value[i];
      const key = isRecord(tag) ? str(tag.Key) : undefined;
      const tagValue = isRecord(tag) ? (tag.Value ?? '') : undefined;
      if (key === undefined || typeof tagValue !== 'string') {
        this.gap(
          source,
          arn,
          MALFORMED,
          `${join(path, field)}[${i}]`,
          `${describe(subject)} has a tag without a string Key and Value; it was not read.`,
        );
        this.tagsMalformed = true;
        continue;
      }
      tags[key] = tagValue;
    }
    return tags;
  }

  /**
   * A listing entry that must be an object with an ARN under `arnKey` (its name under `nameKey`
   * for messages): the entry and its ARN, or a gap and undefined. `subject` is the kind of record,
   * e.g. `Secret`.
   */
  entryWithArn(
    source: string,
    entry: unknown,
    path: string,
    subject: string,
    keys: { arn: string; name: string },
  ): { entry: Json; arn: string } | undefined {
    if (!isRecord(entry)) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        path,
        `${subject} entry ${path} is not an object; it was not analysed.`,
      );
      return undefined;
    }
    const arn = str(entry[keys.arn]);
    if (!arn?.startsWith('arn:')) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        `${path}.${keys.arn}`,
        `${subject} ${str(entry[keys.name]) ?? path} has no valid ${keys.arn}; it was not analysed.`,
      );
      return undefined;
    }
    return { entry, arn };
  }

  gap(
    source: string,
    arn: string | undefined,
    category: string,
    detail: string | undefined,
    reason: string,
    problem?: string,
  ) {
    const gap: CoverageGap = {
      kind: 'coverage-gap',
      arn: arn ?? this.accountArn,
      accountId: this.accountId,
      source,
      reason,
      category,
    };
    if (detail !== undefined) gap.detail = detail;
    this.gaps.add(gap, problem);
  }

  /** The collection's gaps, then the normalizer's, grouped by problem. */
  gapList(): CoverageGap[] {
    const groups = new CoverageGapGroups();
    for (const gap of this.raw.coverageGaps) groups.add(this.completeGap(gap));
    groups.addGroups(this.gaps);
    return groups.list(this.accountArn);
  }

  private completeGap(gap: CoverageGap): CoverageGap {
    if (gap.accountId && gap.arn) return gap;
    return { ...gap, accountId: gap.accountId || this.accountId, arn: gap.arn || this.accountArn };
  }
}

export function describe(subject: Subject, capital = true): string {
  if (typeof subject === 'string') return subject;
  return `${capital ? capitalize(subject.kind) : subject.kind} ${subject.name}`;
}

export function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `$.key` for identifier-like keys, `$['key']` for others (ARNs, regions, user names). */
export function jsonPath(base: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return `${base}.${key}`;
  return `${base}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}
