import { randomBytes } from 'node:crypto';
import { access, constants, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The report file (`--output`) cannot be written; the message names the path and why. */
export class OutputFileError extends Error {
  override readonly name = 'OutputFileError';
}

/**
 * Checks that `file` can be written before any work is done: its directory exists and is
 * writable, and the path itself is not a directory. Devices and pipes (`/dev/stdout`) pass.
 */
export async function checkOutputFile(file: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new OutputFileError(`--output ${file} is a directory; name a file`);
  if (existing && !existing.isFile()) {
    await writable(file, file);
    return;
  }
  const dir = dirname(file);
  const parent = await stat(dir).catch((error: unknown) => {
    throw new OutputFileError(
      errorCode(error) === 'ENOENT'
        ? `--output ${file}: directory ${dir} does not exist`
        : `--output ${file}: cannot use directory ${dir} (${errorCode(error)})`,
      { cause: error },
    );
  });
  if (!parent.isDirectory()) throw new OutputFileError(`--output ${file}: ${dir} is not a directory`);
  await writable(dir, file);
}

async function writable(path: string, file: string): Promise<void> {
  try {
    await access(path, constants.W_OK);
  } catch (error) {
    throw new OutputFileError(
      `--output ${file}: ${path === file ? '' : `directory ${path} `}is not writable (${errorCode(error)})`,
      { cause: error },
    );
  }
}

/**
 * Writes a file so readers never see half of it: a temporary file in the same directory, then a
 * rename. Devices and pipes (`/dev/stdout`, `/dev/null`) are written directly.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing && !existing.isFile()) {
    await writeFile(file, text);
    return;
  }
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text, { mode: 0o644 });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new OutputFileError(`cannot write ${file} (${errorCode(error)})`, { cause: error });
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(error);
}
