/**
 * Properties of reading and analysing an export directory that has been damaged at random: the
 * demo export with files deleted or truncated, values replaced by values of another type, fields
 * dropped, garbage inserted into lists and entries duplicated.
 *
 * Whatever the damage, the scan either stops with an ExportReadError naming a damaged file (the
 * CLI's exit 2) or produces a report in which every role the damage did not reach has exactly the
 * findings it had in the intact export. A damaged optional file that cannot be parsed is named
 * by a coverage gap. Runs the reader and the analysis in process; one test spawns the CLI.
 */

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportReadError, readExportDirectory } from '../../../functions/adapters/export-reader';
import type { Finding } from '../../../functions/core/finding';
import { EXPORT_FILES } from '../../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import { analyzeAccount } from '../../../functions/use-cases/analyze';
import { copyOfDemo, DEMO_EXPORT, runCli } from '../../support/cli';

const NOW = new Date('2025-06-02T08:00:00Z');
const FILES = [
  EXPORT_FILES.authorizationDetails,
  EXPORT_FILES.credentialReport,
  EXPORT_FILES.accessKeys,
  EXPORT_FILES.account,
  EXPORT_FILES.secrets,
  EXPORT_FILES.secretPolicies,
  EXPORT_FILES.serverCertificates,
  EXPORT_FILES.serviceLastAccessed,
];
const REQUIRED = new Set<string>([EXPORT_FILES.authorizationDetails, EXPORT_FILES.credentialReport]);
const ORIGINAL = new Map(FILES.map((file) => [file, readFileSync(join(DEMO_EXPORT, file), 'utf8')]));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const AUTHORIZATION = JSON.parse(ORIGINAL.get(EXPORT_FILES.authorizationDetails)!) as Record<
  string,
  Record<string, Json>[]
>;
const ROLES = AUTHORIZATION.RoleDetailList!.map((role) => ({
  name: role.RoleName as string,
  arn: role.Arn as string,
  policies: new Set([
    ...((role.AttachedManagedPolicies ?? []) as { PolicyArn: string }[]).map((p) => p.PolicyArn),
    ...(role.PermissionsBoundary
      ? [(role.PermissionsBoundary as { PermissionsBoundaryArn: string }).PermissionsBoundaryArn]
      : []),
  ]),
}));
const ALL_ROLES = new Set(ROLES.map((role) => role.arn));
const ENTITY_LISTS = new Set(['RoleDetailList', 'UserDetailList', 'GroupDetailList', 'Policies']);

// -------------------------------------------------------------------------------------- damage

/** Every path to a value inside a JSON document, the document itself first. */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push(...pathsOf(v, [...prefix, i]));
    });
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

const PATHS = new Map(
  FILES.filter((file) => file.endsWith('.json')).map((file) => [
    file,
    pathsOf(JSON.parse(ORIGINAL.get(file)!) as Json),
  ]),
);

function typeOf(value: Json): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeOf(value) === 'object';
}

function getAt(doc: Json, path: Path): Json {
  let node = doc;
  for (const key of path) node = (node as Record<string | number, Json>)[key] as Json;
  return node;
}

type Damage =
  | { kind: 'delete'; file: string }
  | { kind: 'truncate'; file: string; fraction: number }
  | { kind: 'garbage'; file: string; fraction: number; text: string }
  | { kind: 'replace'; file: string; pick: number; value: Json }
  | { kind: 'drop'; file: string; pick: number }
  | { kind: 'insert'; file: string; pick: number; value: Json }
  | { kind: 'duplicate'; file: string; pick: number }
  /** Into a list of the authorization details, where one bad entry must not hide the others. */
  | { kind: 'entry'; file: string; list: string; pick: number; value: Json | 'duplicate' }
  | { kind: 'csv-line'; file: string; pick: number; action: 'drop' | 'duplicate' | 'garble'; text: string };

const jsonFile = fc.constantFrom(...FILES.filter((file) => file.endsWith('.json')));
const anyFile = fc.constantFrom(...FILES);
const garbageText = fc.oneof(
  fc.constantFrom('{', '}', ']', ',', '"', 'null,', '{"a":', '\u0000', 'NaN'),
  fc.string({ maxLength: 12 }),
);

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), file: anyFile }),
  fc.record({
    kind: fc.constant('truncate' as const),
    file: anyFile,
    fraction: fc.double({ min: 0, max: 0.999, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('garbage' as const),
    file: anyFile,
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    text: garbageText,
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    file: jsonFile,
    pick: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  }),
  fc.record({ kind: fc.constant('drop' as const), file: jsonFile, pick: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    file: jsonFile,
    pick: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  }),
  fc.record({ kind: fc.constant('duplicate' as const), file: jsonFile, pick: fc.nat() }),
  fc.record({
    kind: fc.constant('entry' as const),
    file: fc.constant(EXPORT_FILES.authorizationDetails),
    list: fc.constantFrom(...ENTITY_LISTS),
    pick: fc.nat(),
    value: fc.oneof(
      fc.constant('duplicate' as const),
      fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
      // Looks like an entry, with a field of the wrong type.
      fc.constantFrom<Json>(
        { RoleName: 7, Arn: [] },
        { UserName: null },
        { PolicyName: 'p', Arn: 'arn:aws:iam::111122223333:policy/p', PolicyVersionList: 'v1' },
      ),
    ),
  }),
  fc.record({
    kind: fc.constant('csv-line' as const),
    file: fc.constant(EXPORT_FILES.credentialReport),
    pick: fc.nat(),
    action: fc.constantFrom('drop' as const, 'duplicate' as const, 'garble' as const),
    text: garbageText,
  }),
);

/** The roles (by ARN) whose findings the damage at `path` of `file` (as it was before the damage) may change. */
function rolesReached(file: string, doc: Json | undefined, path: Path, entityLevel: boolean): Set<string> {
  if (file === EXPORT_FILES.account) return ALL_ROLES; // the account id and the evaluation time
  if (file === EXPORT_FILES.serviceLastAccessed) {
    const arn = path[0];
    if (arn === undefined) return ALL_ROLES;
    return typeof arn === 'string' && ALL_ROLES.has(arn) ? new Set([arn]) : new Set();
  }
  if (file !== EXPORT_FILES.authorizationDetails) return new Set();
  const [list, index] = path;
  if (typeof list !== 'string' || !ENTITY_LISTS.has(list)) return ALL_ROLES;
  if (index === undefined) return entityLevel ? new Set() : ALL_ROLES;
  const entry = doc === undefined ? undefined : getAt(doc, [list, index]);
  const arn = entry !== undefined && isObject(entry) ? entry.Arn : undefined;
  // An entry without its ARN was reached by an earlier damage, or was never a role.
  if (typeof arn !== 'string') return new Set();
  if (list === 'RoleDetailList') return new Set([arn]);
  if (list === 'Policies') return new Set(ROLES.filter((r) => r.policies.has(arn)).map((r) => r.arn));
  return new Set();
}

interface Applied {
  files: Map<string, string | undefined>;
  /** Roles whose findings may change. */
  reached: Set<string>;
  /** Optional files made unparsable as JSON: each must be named by a coverage gap. */
  unparsable: Set<string>;
}

function apply(damages: readonly Damage[]): Applied {
  const files = new Map<string, string | undefined>(ORIGINAL);
  const reached = new Set<string>();
  const unparsable = new Set<string>();
  const reach = (roles: Set<string>) => {
    for (const arn of roles) reached.add(arn);
  };
  for (const d of damages) {
    const text = files.get(d.file);
    if (text === undefined) continue;
    const wholeFile = () => reach(rolesReached(d.file, undefined, [], false));
    switch (d.kind) {
      case 'delete':
        files.set(d.file, undefined);
        wholeFile();
        continue;
      case 'truncate': {
        // A proper prefix of a JSON object is never valid JSON.
        const cut = text.trimEnd();
        files.set(d.file, cut.slice(0, Math.floor(cut.length * d.fraction)));
        wholeFile();
        if (d.file.endsWith('.json')) unparsable.add(d.file);
        continue;
      }
      case 'garbage': {
        const at = Math.floor(text.length * d.fraction);
        files.set(d.file, text.slice(0, at) + d.text + text.slice(at));
        wholeFile();
        continue;
      }
      case 'csv-line': {
        const lines = text.split('\n');
        const i = 1 + (d.pick % (lines.length - 1));
        if (d.action === 'drop') lines.splice(i, 1);
        else if (d.action === 'duplicate') lines.splice(i, 0, lines[i]!);
        else lines[i] = d.text;
        files.set(d.file, lines.join('\n'));
        continue;
      }
    }
    let doc: Json;
    try {
      doc = JSON.parse(text) as Json;
    } catch {
      continue; // an earlier damage made it unparsable already
    }
    const candidates = text === ORIGINAL.get(d.file) ? PATHS.get(d.file)! : pathsOf(doc);
    if (d.kind === 'entry') {
      const list = isObject(doc) ? doc[d.list] : undefined;
      if (!Array.isArray(list) || list.length === 0) continue;
      const i = d.pick % list.length;
      if (d.value === 'duplicate') {
        reach(rolesReached(d.file, doc, [d.list, i], false));
        list.splice(i, 0, structuredClone(list[i]!));
      } else {
        list.splice(i, 0, d.value);
      }
    } else if (d.kind === 'replace') {
      const path = candidates[d.pick % candidates.length]!;
      if (typeOf(getAt(doc, path)) === typeOf(d.value)) continue; // a wrong type, not a new value
      reach(rolesReached(d.file, doc, path, false));
      if (path.length === 0) doc = d.value;
      else (getAt(doc, path.slice(0, -1)) as Record<string | number, Json>)[path.at(-1)!] = d.value;
    } else if (d.kind === 'drop') {
      const keyed = candidates.filter((p) => typeof p.at(-1) === 'string');
      if (keyed.length === 0) continue;
      const path = keyed[d.pick % keyed.length]!;
      reach(rolesReached(d.file, doc, path, false));
      delete (getAt(doc, path.slice(0, -1)) as Record<string, Json>)[path.at(-1) as string];
    } else {
      const arrays = candidates.filter(
        (p) => Array.isArray(getAt(doc, p)) && (getAt(doc, p) as Json[]).length > 0,
      );
      if (arrays.length === 0) continue;
      const path = arrays[d.pick % arrays.length]!;
      const list = getAt(doc, path) as Json[];
      if (d.kind === 'insert') {
        reach(rolesReached(d.file, doc, path, true));
        list.splice(d.pick % (list.length + 1), 0, d.value);
      } else {
        const i = d.pick % list.length;
        reach(rolesReached(d.file, doc, [...path, i], false));
        list.splice(i, 0, structuredClone(list[i]!));
      }
    }
    files.set(d.file, JSON.stringify(doc, null, 2));
  }
  return { files, reached, unparsable };
}

// -------------------------------------------------------------------------------------- the scan

let root: string;
let runs = 0;
let baseline: Map<string, string[]>;

/** A role's findings in a form that survives a rerun: rule, sub-resource, severity, result, reason. */
function findingsByRole(findings: readonly Finding[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of findings) {
    if (!ALL_ROLES.has(f.resourceArn)) continue;
    const list = out.get(f.resourceArn) ?? [];
    list.push(`${f.ruleId}|${f.subResource ?? ''}|${f.severity}|${f.result}|${f.reason}`);
    out.set(f.resourceArn, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}

async function scanExport(files: ReadonlyMap<string, string | undefined>) {
  const dir = join(root, `export-${++runs}`);
  await mkdir(dir);
  for (const [file, text] of files) if (text !== undefined) await writeFile(join(dir, file), text);
  try {
    const raw = await readExportDirectory(dir);
    return { report: analyzeAccount(raw, { settings: DEFAULT_SETTINGS, now: NOW }) };
  } catch (error) {
    return { error };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'iam-posture-corrupt-'));
  const intact = await scanExport(ORIGINAL);
  if (!intact.report) throw intact.error;
  baseline = findingsByRole(intact.report.findings);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('scanning a damaged export', () => {
  it('has findings on many roles of the intact demo export to compare with', () => {
    expect(baseline.size).toBeGreaterThan(10);
  });

  it('stops with an error naming a damaged file, or analyses every role the damage did not reach', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 3 }), async (damages) => {
        const { files, reached, unparsable } = apply(damages);
        const outcome = await scanExport(files);
        if (outcome.error !== undefined) {
          // The CLI turns exactly these errors into exit 2; anything else would be an internal error.
          expect(outcome.error).toBeInstanceOf(ExportReadError);
          const error = outcome.error as ExportReadError;
          const damaged = damages.map((d) => d.file);
          expect(damaged).toContain(error.file);
          expect(error.message).toContain(error.file);
          return;
        }
        const report = outcome.report!;
        for (const file of unparsable) {
          if (REQUIRED.has(file) || files.get(file) === undefined) continue;
          expect(report.coverage.some((gap) => gap.source === file)).toBe(true);
        }
        const after = findingsByRole(report.findings);
        for (const [arn, findings] of baseline) {
          if (reached.has(arn)) continue;
          expect(after.get(arn), `findings of ${arn}`).toEqual(findings);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('exits 2 naming the file when a required file is damaged beyond reading (CLI)', async () => {
    const demo = await copyOfDemo();
    try {
      await unlink(join(demo.dir, EXPORT_FILES.credentialReport));
      const result = await runCli(['scan', '--export', demo.dir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(EXPORT_FILES.credentialReport);
      expect(result.stderr).not.toContain('internal error');
    } finally {
      await demo.cleanup();
    }
  });
});
