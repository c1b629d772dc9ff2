import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  type AccountOutcome,
  AccountOutcomeSchema,
  type MemberAccount,
  MemberAccountSchema,
} from '../core/organization-scan';
import { EXPORT_FILES } from '../core/raw';
import { ExportReadError } from './export-reader';
import { checkExportDestination, ExportWriteError } from './export-writer';
import { writeFileAtomic } from './output-file';

/**
 * An organization export: one export directory per account, named by its 12-digit id, plus
 * `accounts.json` (the accounts the collection selected, as Organizations listed them) and
 * `outcomes.json` (what happened to each). `collect --org` writes it; `scan --export` reads it.
 */

export const ACCOUNTS_FILE = 'accounts.json';
export const OUTCOMES_FILE = 'outcomes.json';
const ACCOUNT_DIR = /^\d{12}$/;

export interface OrganizationExport {
  /** Every account of the export: those of `accounts.json`, then any other account directory. */
  accounts: MemberAccount[];
  /** The accounts that have a directory. */
  collected: Set<string>;
  /** The collection's outcome of each account, when `outcomes.json` is there. */
  outcomes: Map<string, AccountOutcome>;
}

/**
 * Whether `dir` is an organization export rather than one account's: it holds no
 * `authorization-details.json` but account directories or `accounts.json`. Anything that is not a
 * readable directory is left for the single-account reader to report.
 */
export async function isOrganizationExport(dir: string): Promise<boolean> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  if (entries.some((e) => e.name === EXPORT_FILES.authorizationDetails)) return false;
  return entries.some(
    (e) => (e.isDirectory() && ACCOUNT_DIR.test(e.name)) || (e.isFile() && e.name === ACCOUNTS_FILE),
  );
}

export async function readOrganizationExport(dir: string): Promise<OrganizationExport> {
  const entries = await readdir(dir, { withFileTypes: true });
  const collected = new Set(
    entries.filter((e) => e.isDirectory() && ACCOUNT_DIR.test(e.name)).map((e) => e.name),
  );
  const listed = await readJsonFile(dir, ACCOUNTS_FILE, z.array(MemberAccountSchema));
  const outcomes = await readJsonFile(dir, OUTCOMES_FILE, z.array(AccountOutcomeSchema));
  const accounts: MemberAccount[] = [...(listed ?? [])];
  const known = new Set(accounts.map((a) => a.id));
  for (const id of [...collected].sort()) {
    if (!known.has(id)) accounts.push({ id, name: '' });
  }
  return {
    accounts,
    collected,
    outcomes: new Map((outcomes ?? []).map((o) => [o.accountId, o as AccountOutcome])),
  };
}

async function readJsonFile<T>(dir: string, file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ExportReadError(`${path} cannot be read (${(error as NodeJS.ErrnoException).code})`, path);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExportReadError(`${path} is not JSON: ${(error as Error).message}`, path);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ExportReadError(`${path}: $.${issue.path.join('.')}: ${issue.message}`, path);
  }
  return parsed.data;
}

/**
 * Throws `ExportWriteError` unless `dir` is absent, or holds nothing but account export
 * directories (each nothing but export files) and the two index files. Checked before a long
 * collection, so a bad destination fails first.
 */
export async function checkOrganizationDestination(dir: string): Promise<void> {
  const target = resolve(dir);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(target, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new ExportWriteError(`${target} exists and is not a directory`, target);
    throw new ExportWriteError(`cannot read ${target}: ${(error as Error).message}`, target, {
      cause: error,
    });
  }
  const foreign = entries.filter(
    (e) =>
      !(e.isDirectory() && ACCOUNT_DIR.test(e.name)) &&
      !(e.isFile() && (e.name === ACCOUNTS_FILE || e.name === OUTCOMES_FILE)),
  );
  if (foreign.length > 0) {
    throw new ExportWriteError(
      `refusing to write an organization export into ${target}: it holds entries that are not part of one (${foreign
        .slice(0, 5)
        .map((e) => e.name)
        .join(', ')})`,
      target,
    );
  }
  for (const entry of entries.filter((e) => e.isDirectory()))
    await checkExportDestination(join(target, entry.name));
}

/**
 * Writes the index files and removes the directories of accounts this collection did not collect
 * (not selected any more, or failed): an earlier collection's data must not pass for this one's.
 */
export async function finishOrganizationExport(
  dir: string,
  accounts: readonly MemberAccount[],
  outcomes: readonly AccountOutcome[],
  collected: ReadonlySet<string>,
): Promise<void> {
  const target = resolve(dir);
  await mkdir(target, { recursive: true });
  const entries = await readdir(target, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.isDirectory() && ACCOUNT_DIR.test(entry.name) && !collected.has(entry.name)) {
      await rm(join(target, entry.name), { recursive: true, force: true });
    }
  }
  await writeFileAtomic(join(target, ACCOUNTS_FILE), `${JSON.stringify(accounts, null, 2)}\n`);
  await writeFileAtomic(join(target, OUTCOMES_FILE), `${JSON.stringify(outcomes, null, 2)}\n`);
}
