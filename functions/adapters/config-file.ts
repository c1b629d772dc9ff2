import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { parseScanSettings, type ScanSettings, SettingsError } from '../core/settings';

/**
 * The `--config` file could not be used. The message names the file and the place in it: a line
 * and column for syntax errors, the dotted key for values that fail validation.
 */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Loads scan settings (thresholds, organization, exemptions, disabled rules) from a JSON or YAML
 * file. `.json` files are parsed as JSON; anything else as YAML, of which JSON is a subset.
 */
export async function loadScanSettings(file: string): Promise<ScanSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${String(code ?? error)})`;
    throw new ConfigFileError(`config file ${file} ${why}`, file, { cause: error });
  }
  return parseSettingsText(text, file);
}

/** Parses and validates settings text; `file` names it in errors and picks the syntax by extension. */
export function parseSettingsText(text: string, file: string): ScanSettings {
  const value = extname(file).toLowerCase() === '.json' ? parseJson(text, file) : parseYaml(text, file);
  try {
    return parseScanSettings(value, file);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    throw new ConfigFileError(`config file ${file}: ${error.issues.join('; ')}`, file, { cause: error });
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const { line, column } = jsonErrorPosition(text, error as Error);
    throw new ConfigFileError(
      `config file ${file} line ${line}, column ${column}: invalid JSON (${(error as Error).message})`,
      file,
      { cause: error },
    );
  }
}

function parseYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true });
  const error = document.errors[0];
  if (error) {
    const position = error.linePos?.[0];
    const where = position ? ` line ${position.line}, column ${position.col}` : '';
    throw new ConfigFileError(
      `config file ${file}${where}: invalid YAML (${firstLine(error.message)})`,
      file,
      { cause: error },
    );
  }
  return document.toJS();
}

/** V8 names the offset (`at position N`) for most errors, and none when the text ends early. */
function jsonErrorPosition(text: string, error: Error): { line: number; column: number } {
  const match = /position (\d+)/.exec(error.message);
  const offset = match ? Number(match[1]) : text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The yaml package's message without its source excerpt and repeated position. */
function firstLine(text: string): string {
  return (text.split('\n', 1)[0] ?? text).replace(/ at line \d+, column \d+:?$/, '');
}
