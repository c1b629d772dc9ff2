import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EXPORT_FILES, type RawAccountData } from '../core/raw';
import { COVERAGE_GAPS_FILE } from './export-coverage';

const KNOWN_FILES = new Set<string>([...Object.values(EXPORT_FILES), COVERAGE_GAPS_FILE]);

/** The export directory could not be written; nothing at the destination was changed. */
export class ExportWriteError extends Error {
  override readonly name = 'ExportWriteError';
  constructor(
    message: string,
    readonly dir: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Writes raw AWS documents as an export directory (DESIGN.md format), readable by
 * `scan --export DIR`. The files are written into a fresh sibling directory which then replaces
 * `dir`, so a reader never sees a mix of two collections. An existing `dir` is replaced only if it
 * holds nothing but export files. Returns the names of the files written.
 */
export async function writeExportDirectory(dir: string, raw: RawAccountData): Promise<string[]> {
  const target = resolve(dir);
  const files = exportFiles(raw);
  const existing = await checkExportDestination(target);

  let staging: string | undefined;
  try {
    await mkdir(dirname(target), { recursive: true });
    staging = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
    for (const [name, content] of files) await writeFile(join(staging, name), content, 'utf8');
    if (existing) {
      const previous = `${staging}.previous`;
      await rename(target, previous);
      try {
        await rename(staging, target);
      } catch (error) {
        await rename(previous, target);
        throw error;
      }
      await rm(previous, { recursive: true, force: true });
    } else {
      await rename(staging, target);
    }
  } catch (error) {
    if (staging) await rm(staging, { recursive: true, force: true });
    throw new ExportWriteError(
      `could not write the export directory ${target}: ${(error as Error).message}`,
      target,
      {
        cause: error,
      },
    );
  }
  return files.map(([name]) => name).sort();
}

/**
 * Throws `ExportWriteError` unless `dir` is absent, or a directory holding nothing but export
 * files (which a new export may replace). Returns the entries of an existing directory. Callers
 * check before a long collection, so a bad destination fails first.
 */
export async function checkExportDestination(dir: string): Promise<string[] | undefined> {
  const target = resolve(dir);
  const existing = await existingEntries(target);
  const foreign = existing?.filter((name) => !KNOWN_FILES.has(name)) ?? [];
  if (foreign.length > 0) {
    throw new ExportWriteError(
      `refusing to replace ${target}: it holds files that are not part of an export (${foreign.slice(0, 5).join(', ')})`,
      target,
    );
  }
  return existing;
}

/** File name -> content. A document that was not read is left out, so the reader notices. */
export function exportFiles(raw: RawAccountData): [string, string][] {
  const files: [string, string][] = [];
  const json = (name: string, value: unknown) => files.push([name, `${JSON.stringify(value, null, 2)}\n`]);
  if (raw.authorizationDetails.length === 1)
    json(EXPORT_FILES.authorizationDetails, raw.authorizationDetails[0]);
  else if (raw.authorizationDetails.length > 1)
    json(EXPORT_FILES.authorizationDetails, raw.authorizationDetails);
  if (raw.credentialReport !== undefined) files.push([EXPORT_FILES.credentialReport, raw.credentialReport]);
  if (raw.secrets !== undefined) json(EXPORT_FILES.secrets, raw.secrets);
  if (raw.secretPolicies !== undefined) json(EXPORT_FILES.secretPolicies, raw.secretPolicies);
  if (raw.serverCertificates !== undefined) json(EXPORT_FILES.serverCertificates, raw.serverCertificates);
  if (raw.serviceLastAccessed !== undefined) json(EXPORT_FILES.serviceLastAccessed, raw.serviceLastAccessed);
  if (raw.accessKeys !== undefined) json(EXPORT_FILES.accessKeys, raw.accessKeys);
  if (raw.account !== undefined) json(EXPORT_FILES.account, raw.account);
  if (raw.organization !== undefined) json(EXPORT_FILES.organization, raw.organization);
  if (raw.coverageGaps.length > 0) json(COVERAGE_GAPS_FILE, raw.coverageGaps);
  return files;
}

async function existingEntries(target: string): Promise<string[] | undefined> {
  try {
    return await readdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new ExportWriteError(`${target} exists and is not a directory`, target);
    throw new ExportWriteError(`cannot read ${target}: ${(error as Error).message}`, target, {
      cause: error,
    });
  }
}
