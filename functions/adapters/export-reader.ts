import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CredentialReportFormatError,
  checkCredentialReportHeader,
  parseAwsTimestamp,
  TimestampFormatError,
} from '../core/credential-report';
import type { CoverageGap } from '../core/model';
import { EXPORT_FILES, type RawAccountData } from '../core/raw';
import { COVERAGE_GAPS_FILE, explainsMissingFile, parseCoverageGapsFile } from './export-coverage';

/**
 * A required export file is missing or unreadable, or `account.json` is wrong. The message names
 * the file and the place inside it (line and column, JSON path or CSV column).
 */
export class ExportReadError extends Error {
  override readonly name = 'ExportReadError';
  constructor(
    message: string,
    /** The export file (or directory) the error is about. */
    readonly file: string,
    /** Where inside the file: `line 3, column 14`, a JSON path, or a CSV column. */
    readonly location?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const AUTHORIZATION_DETAILS_LISTS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'];

/**
 * Reads an export directory (DESIGN.md "Export directory") into the raw documents `normalize`
 * takes. Required files (`authorization-details.json`, `credential-report.csv`) missing or
 * unparsable throw `ExportReadError`; so does a malformed `account.json`, since it sets the
 * evaluation time. Other optional files may be absent; when one is unreadable or not JSON, a
 * coverage gap names it and the rest is still read. Records inside the files are validated by
 * `normalize`, which turns a bad record into a gap.
 */
export async function readExportDirectory(dir: string): Promise<RawAccountData> {
  await checkDirectory(dir);
  const files = EXPORT_FILES;
  const names = [
    files.authorizationDetails,
    files.credentialReport,
    files.secrets,
    files.secretPolicies,
    files.serverCertificates,
    files.serviceLastAccessed,
    files.accessKeys,
    files.account,
    files.organization,
  ];
  const results = await Promise.all(names.map((file) => readText(dir, file)));
  const gaps: CoverageGap[] = [];
  // Gaps recorded by `iam-posture collect`: a required file it could not collect is one of them.
  const collected = parseCoverageGapsFile((await readText(dir, COVERAGE_GAPS_FILE)).text);
  gaps.push(...collected);
  const [
    authorization,
    report,
    secrets,
    secretPolicies,
    certificates,
    lastAccessed,
    accessKeys,
    account,
    organization,
  ] = results.map((result, i) => {
    if (i < 2) {
      const explained =
        result.text === undefined && !result.error && explainsMissingFile(names[i]!, collected);
      if (explained) return undefined;
      return required(dir, names[i]!, result);
    }
    if (result.error) {
      const code = result.error;
      gaps.push(
        exportGap(
          names[i]!,
          code === 'EACCES' || code === 'EPERM' ? 'AccessDenied' : 'Unreadable',
          undefined,
          `${names[i]} could not be read (${code}); its contents were not analysed.`,
        ),
      );
    }
    return result.text;
  });

  const raw: RawAccountData = {
    ...(authorization === undefined
      ? { authorizationDetails: [] }
      : authorizationDetails(dir, authorization)),
    ...(report === undefined ? {} : { credentialReport: credentialReport(dir, report) }),
    coverageGaps: gaps,
    sources: { ...files },
  };
  if (account !== undefined) raw.account = accountFile(dir, account);
  if (isRecord(raw.account) && raw.account.CredentialReportGeneratedAt !== undefined) {
    raw.credentialReportGeneratedAt = raw.account.CredentialReportGeneratedAt;
  }

  const secretsDoc = optionalJson(files.secrets, secrets, gaps);
  if (secretsDoc !== undefined) {
    if (Array.isArray(secretsDoc) || (isRecord(secretsDoc) && 'SecretList' in secretsDoc)) {
      raw.secrets = { '': secretsDoc };
    } else if (isRecord(secretsDoc)) {
      raw.secrets = secretsDoc;
    } else {
      gaps.push(shapeGap(files.secrets, 'list-secrets output or an object mapping region to it'));
    }
  }
  const policiesDoc = optionalJson(files.secretPolicies, secretPolicies, gaps);
  if (policiesDoc !== undefined) {
    if (Array.isArray(policiesDoc)) raw.secretPolicies = policiesDoc;
    else if (isRecord(policiesDoc) && ('ARN' in policiesDoc || 'Name' in policiesDoc))
      raw.secretPolicies = [policiesDoc];
    else gaps.push(shapeGap(files.secretPolicies, 'an array of get-resource-policy outputs'));
  }
  const certificatesDoc = optionalJson(files.serverCertificates, certificates, gaps);
  if (certificatesDoc !== undefined) raw.serverCertificates = certificatesDoc;
  const lastAccessedDoc = optionalJson(files.serviceLastAccessed, lastAccessed, gaps);
  if (lastAccessedDoc !== undefined) {
    if (isRecord(lastAccessedDoc)) raw.serviceLastAccessed = lastAccessedDoc;
    else
      gaps.push(
        shapeGap(
          files.serviceLastAccessed,
          'an object mapping principal ARN to get-service-last-accessed-details output',
        ),
      );
  }
  const accessKeysDoc = optionalJson(files.accessKeys, accessKeys, gaps);
  if (accessKeysDoc !== undefined) {
    if (isRecord(accessKeysDoc)) raw.accessKeys = accessKeysDoc;
    else gaps.push(shapeGap(files.accessKeys, 'an object mapping user name to list-access-keys output'));
  }
  // Its shape is checked by `normalize`, as for a live read.
  const organizationDoc = optionalJson(files.organization, organization, gaps);
  if (organizationDoc !== undefined) raw.organization = organizationDoc;
  return raw;
}

async function checkDirectory(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    throw new ExportReadError(
      `export directory ${dir} cannot be read (${errorCode(error)})`,
      dir,
      undefined,
      {
        cause: error,
      },
    );
  }
  if (!isDirectory) throw new ExportReadError(`export directory ${dir} is not a directory`, dir);
}

interface FileText {
  text?: string;
  /** The error code when the file exists but cannot be read. */
  error?: string;
  cause?: unknown;
}

/** The file's text; neither text nor error when it does not exist. */
async function readText(dir: string, file: string): Promise<FileText> {
  try {
    return { text: stripBom(await readFile(join(dir, file), 'utf8')) };
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' ? { cause: error } : { error: code, cause: error };
  }
}

function required(dir: string, file: string, result: FileText): string {
  if (result.text !== undefined) return result.text;
  const reason = result.error ? `cannot be read (${result.error})` : 'is missing';
  throw new ExportReadError(
    `${join(dir, file)} ${reason}; it is required in an export directory`,
    file,
    undefined,
    {
      cause: result.cause,
    },
  );
}

function authorizationDetails(
  dir: string,
  text: string,
): Pick<RawAccountData, 'authorizationDetails' | 'authorizationDetailsShape'> {
  const file = EXPORT_FILES.authorizationDetails;
  const value = requiredJson(dir, file, text);
  const expected = 'get-account-authorization-details output: one object, or an array of page objects';
  if (isRecord(value)) {
    checkPage(dir, file, value, '$');
    return { authorizationDetails: [value], authorizationDetailsShape: 'object' };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw new ExportReadError(`${join(dir, file)}: the array is empty, expected ${expected}`, file, '$');
    }
    value.forEach((page, i) => {
      checkPage(dir, file, page, `$[${i}]`);
    });
    return { authorizationDetails: value, authorizationDetailsShape: 'pages' };
  }
  throw new ExportReadError(`${join(dir, file)}: expected ${expected}`, file, '$');
}

/** A page must look like authorization details, so a wrong file is not read as an empty account. */
function checkPage(dir: string, file: string, page: unknown, path: string): void {
  if (!isRecord(page)) {
    throw new ExportReadError(`${join(dir, file)} at ${path}: a page is not an object`, file, path);
  }
  if (!AUTHORIZATION_DETAILS_LISTS.some((key) => key in page)) {
    throw new ExportReadError(
      `${join(dir, file)} at ${path}: not get-account-authorization-details output (none of ${AUTHORIZATION_DETAILS_LISTS.join(', ')})`,
      file,
      path,
    );
  }
}

function credentialReport(dir: string, text: string): string {
  const file = EXPORT_FILES.credentialReport;
  try {
    checkCredentialReportHeader(text);
  } catch (error) {
    if (!(error instanceof CredentialReportFormatError)) throw error;
    const location = error.column ? `line 1, column "${error.column}"` : 'line 1';
    throw new ExportReadError(
      `${join(dir, file)} ${location}: ${error.message}; expected the decoded output of aws iam get-credential-report`,
      file,
      location,
      { cause: error },
    );
  }
  return text;
}

function accountFile(dir: string, text: string): unknown {
  const file = EXPORT_FILES.account;
  const value = requiredJson(dir, file, text);
  if (!isRecord(value)) {
    throw new ExportReadError(
      `${join(dir, file)}: expected an object { "AccountId", "CollectedAt" }`,
      file,
      '$',
    );
  }
  if (
    value.AccountId !== undefined &&
    !(typeof value.AccountId === 'string' && /^\d{12}$/.test(value.AccountId))
  ) {
    throw new ExportReadError(
      `${join(dir, file)} at $.AccountId: ${JSON.stringify(value.AccountId)} is not a 12-digit account id in quotes`,
      file,
      '$.AccountId',
    );
  }
  try {
    parseAwsTimestamp(value.CollectedAt);
  } catch (error) {
    if (!(error instanceof TimestampFormatError)) throw error;
    throw new ExportReadError(
      `${join(dir, file)} at $.CollectedAt: ${error.message} (expected e.g. 2024-05-01T12:00:00Z)`,
      file,
      '$.CollectedAt',
      { cause: error },
    );
  }
  return value;
}

function requiredJson(dir: string, file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const { line, column, problem } = locateJsonError(text, error);
    const location = `line ${line}, column ${column}`;
    throw new ExportReadError(`${join(dir, file)} ${location}: invalid JSON, ${problem}`, file, location, {
      cause: error,
    });
  }
}

function optionalJson(file: string, text: string | undefined, gaps: CoverageGap[]): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    const { line, column, problem } = locateJsonError(text, error);
    gaps.push(
      exportGap(
        file,
        'Malformed',
        `line ${line}, column ${column}`,
        `${file} is not valid JSON (${problem} at line ${line}, column ${column}); its contents were not analysed.`,
      ),
    );
    return undefined;
  }
}

function shapeGap(file: string, expected: string): CoverageGap {
  return exportGap(file, 'Malformed', '$', `${file} is not ${expected}; its contents were not analysed.`);
}

/** The account is not known yet: `normalize` fills in the account id and ARN. */
function exportGap(file: string, category: string, detail: string | undefined, reason: string): CoverageGap {
  const gap: CoverageGap = { kind: 'coverage-gap', arn: '', accountId: '', source: file, category, reason };
  if (detail !== undefined) gap.detail = detail;
  return gap;
}

/**
 * Line and column (1-based) of a JSON syntax error. Node's messages differ between versions and
 * some carry no position, so the text is scanned for the first offending character; this runs only
 * after `JSON.parse` failed.
 */
export function locateJsonError(
  text: string,
  error?: unknown,
): { line: number; column: number; problem: string } {
  let found: { offset: number; problem: string } | undefined;
  try {
    found = scanJson(text);
  } catch {
    found = undefined;
  }
  if (!found) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '');
    found = {
      offset: position ? Number(position[1]) : 0,
      problem: error instanceof Error ? error.message : 'unparsable',
    };
  }
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < found.offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: found.offset - lineStart + 1, problem: found.problem };
}

/** A small JSON grammar check returning the first syntax error, or undefined when the text is valid. */
function scanJson(text: string): { offset: number; problem: string } | undefined {
  let i = 0;
  const fail = (problem: string): never => {
    throw new JsonSyntax(i, i >= text.length ? 'unexpected end of input, the file looks truncated' : problem);
  };
  const describe = (): string => (i >= text.length ? 'end of input' : `character ${JSON.stringify(text[i])}`);
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${describe()}`);
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in a string');
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
          i += 2;
        } else {
          fail('invalid escape in a string');
        }
      } else if (text.charCodeAt(i) < 0x20) {
        fail('unescaped control character in a string (a line break inside quotes?)');
      } else {
        i++;
      }
    }
    fail('unterminated string');
  };
  const number = () => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match) fail(`unexpected ${describe()}`);
    i += match![0].length;
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail(`unexpected ${describe()}`);
  };
  const object = () => {
    i++;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail(`expected a double-quoted property name, found ${describe()}`);
      string();
      skipSpace();
      if (text[i] !== ':') fail(`expected ':' after a property name, found ${describe()}`);
      i++;
      value();
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected ',' or '}' after a property value, found ${describe()}`);
    }
  };
  const array = () => {
    i++;
    skipSpace();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected ',' or ']' after an array element, found ${describe()}`);
    }
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
  } catch (error) {
    if (error instanceof JsonSyntax) return { offset: error.offset, problem: error.problem };
    throw error;
  }
  return undefined;
}

class JsonSyntax {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {}
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
