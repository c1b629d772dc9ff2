/**
 * Local AWS backend for integration tests: moto's server (moto 5.2.x) plus the test-only
 * backdating hooks of `moto_launcher.py`.
 *
 *   const moto = await startMoto();
 *   const iam = new IAMClient({ ...moto.clientConfig });
 *   await iam.send(new CreateRoleCommand({ ... }));
 *   await moto.backdateRole({ roleName: 'ci', lastUsedDate: new Date('2024-01-01T00:00:00Z') });
 *   ...
 *   await moto.stop();
 *
 * Every client built from `clientConfig` talks to 127.0.0.1 with fixed fake credentials, so a
 * test can neither reach real AWS nor pick up the developer's credentials.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** moto's default account: every request with unknown credentials lands here. */
export const MOTO_ACCOUNT_ID = '123456789012';
export const MOTO_REGION = 'us-east-1';

const LAUNCHER = fileURLToPath(new URL('./moto_launcher.py', import.meta.url));
const READY_LINE = /^IAM_POSTURE_MOTO_READY (http:\/\/\S+:(\d+))$/m;
const INSTALL_HINT = "Install it with: python3 -m pip install 'moto[server]==5.2.1'";
const STDERR_TAIL_CHARS = 4000;

/** Spread into any AWS SDK v3 client constructor: `new IAMClient({ ...moto.clientConfig })`. */
export interface MotoClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface StartMotoOptions {
  /** Python interpreter with moto installed (default: `python3`). */
  python?: string;
  /** Fixed port; by default the OS picks a free one (no race between choosing and binding). */
  port?: number;
  /**
   * Load AWS managed policies (`arn:aws:iam::aws:policy/...`) so they can be attached. Off by
   * default, as in moto: then attaching e.g. AdministratorAccess fails with NoSuchEntity.
   */
  awsManagedPolicies?: boolean;
  /**
   * STS AssumeRole of a role that does not exist in its account's IAM fails with AccessDenied
   * (HTTP 403), as real STS does. Off by default, as in moto: moto assumes any role ARN, existing
   * or not, which is how it switches accounts.
   */
  enforceAssumeRole?: boolean;
  /** Milliseconds to wait for the server to answer (default 30 s). */
  startupTimeoutMs?: number;
}

/** Fields every hook accepts. */
interface HookTarget {
  /** Default: moto's 123456789012. */
  accountId?: string;
}

export interface BackdateRoleInput extends HookTarget {
  roleName: string;
  createDate?: Date;
  /** `null` makes the role never used (GetRole answers an empty RoleLastUsed). */
  lastUsedDate?: Date | null;
  /** Only with a non-null `lastUsedDate`; omitted means no region is reported. */
  lastUsedRegion?: string | null;
}

export interface BackdatedRole {
  roleName: string;
  arn: string;
  createDate: string;
  lastUsedDate: string | null;
  lastUsedRegion: string | null;
}

export interface BackdateUserInput extends HookTarget {
  userName: string;
  createDate?: Date;
  /** Console sign-in; `null` = never used. Shown only if the user has a login profile. */
  passwordLastUsed?: Date | null;
  /** The user must have a login profile; also becomes `password_last_changed` in the report. */
  loginProfileCreateDate?: Date;
}

export interface BackdatedUser {
  userName: string;
  arn: string;
  createDate: string;
  passwordEnabled: boolean;
  passwordLastUsed: string | null;
  loginProfileCreateDate: string | null;
}

export interface BackdateAccessKeyInput extends HookTarget {
  accessKeyId: string;
  /** Narrows the search to one user; any user of the account otherwise. */
  userName?: string;
  /** Also `access_key_N_last_rotated` in the credential report. */
  createDate?: Date;
  /** `null` = never used. */
  lastUsedDate?: Date | null;
  /** Only with a non-null `lastUsedDate`, e.g. `s3`. */
  lastUsedService?: string;
  /** Only with a non-null `lastUsedDate`, e.g. `eu-west-1`. */
  lastUsedRegion?: string;
  status?: 'Active' | 'Inactive';
}

export interface BackdatedAccessKey {
  accessKeyId: string;
  userName: string;
  status: 'Active' | 'Inactive';
  createDate: string;
  lastUsedDate: string | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
}

export interface BackdateSecretInput extends HookTarget {
  /** Name, full ARN or partial ARN. */
  secretId: string;
  /** Default `us-east-1`. */
  region?: string;
  createdDate?: Date;
  lastChangedDate?: Date;
  /** `null` = never accessed. moto itself never records access. */
  lastAccessedDate?: Date | null;
  /** `null` = never rotated. Shown even if RotateSecret was never called. */
  lastRotatedDate?: Date | null;
  nextRotationDate?: Date | null;
}

export interface BackdatedSecret {
  name: string;
  arn: string;
  region: string;
  createdDate: string | null;
  lastChangedDate: string | null;
  lastAccessedDate: string | null;
  lastRotatedDate: string | null;
  nextRotationDate: string | null;
}

export interface BackdateServerCertificateInput extends HookTarget {
  serverCertificateName: string;
  uploadDate?: Date;
  expiration?: Date;
}

export interface BackdatedServerCertificate {
  serverCertificateName: string;
  arn: string;
  /** `null` = not backdated: moto then answers its fixed 2010-05-08T01:02:03.004Z. */
  uploadDate: string | null;
  /** `null` = not backdated: moto then answers its fixed 2012-05-08T01:02:03.004Z. */
  expiration: string | null;
}

export interface MotoServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly endpoint: string;
  readonly port: number;
  /** Config for clients in `us-east-1` (IAM, STS and Organizations are global anyway). */
  readonly clientConfig: MotoClientConfig;
  /** Config for a regional client, e.g. Secrets Manager in `eu-west-1`. */
  clientConfigFor(region: string): MotoClientConfig;
  /** Wipes every account, region and service (moto's `POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Terminates the server; safe to call twice. */
  stop(): Promise<void>;
  backdateRole(input: BackdateRoleInput): Promise<BackdatedRole>;
  backdateUser(input: BackdateUserInput): Promise<BackdatedUser>;
  backdateAccessKey(input: BackdateAccessKeyInput): Promise<BackdatedAccessKey>;
  backdateSecret(input: BackdateSecretInput): Promise<BackdatedSecret>;
  backdateServerCertificate(input: BackdateServerCertificateInput): Promise<BackdatedServerCertificate>;
}

/** The server could not be started: python3 or moto missing, or it did not come up. */
export class MotoUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MotoUnavailableError';
  }
}

/** A backdating hook refused the request (unknown resource, bad field, ...). */
export class MotoHookError extends Error {
  constructor(
    readonly hook: string,
    readonly status: number,
    message: string,
  ) {
    super(`moto hook ${hook} failed (HTTP ${status}): ${message}`);
    this.name = 'MotoHookError';
  }
}

/** Starts a fresh moto server on 127.0.0.1 and resolves once it answers HTTP requests. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = options.python ?? 'python3';
  const args = [LAUNCHER, '--port', String(options.port ?? 0), '--watch-stdin'];
  if (options.awsManagedPolicies) args.push('--aws-managed-policies');
  if (options.enforceAssumeRole) args.push('--enforce-assume-role');

  // stdin stays open as a lifeline: when this process dies, the pipe closes and the launcher
  // exits (it also watches for re-parenting and handles SIGTERM).
  const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'], env: launcherEnv() });
  const stderr = captureTail(child);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  try {
    const endpoint = await waitForReadyLine(child, python, stderr, options.startupTimeoutMs ?? 30_000);
    await checkHealth(endpoint);
    return makeServer(endpoint, child, () => process.off('exit', killOnExit));
  } catch (error) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    throw error;
  }
}

function makeServer(endpoint: string, child: ChildProcessWithoutNullStreams, onStop: () => void): MotoServer {
  const clientConfigFor = (region: string): MotoClientConfig => ({
    endpoint,
    region,
    // Fixed fake credentials: never the developer's, and unknown to moto, so requests land in
    // the default account and do not mark any seeded access key as used.
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'moto-fake-secret-access-key' },
  });

  async function hook<T>(name: string, input: object): Promise<T> {
    // Dates serialize through Date#toJSON (ISO-8601 UTC); undefined fields are left out, which
    // the launcher reads as "leave unchanged", and null as "clear".
    const response = await fetch(`${endpoint}/_iam_posture/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the raw text
      }
      throw new MotoHookError(name, response.status, message);
    }
    return JSON.parse(text) as T;
  }

  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    clientConfig: clientConfigFor(MOTO_REGION),
    clientConfigFor,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      onStop();
      await terminate(child);
    },
    backdateRole: (input) => hook('role', input),
    backdateUser: (input) => hook('user', input),
    backdateAccessKey: (input) => hook('access-key', input),
    backdateSecret: (input) => hook('secret', input),
    backdateServerCertificate: (input) => hook('server-certificate', input),
  };
}

/**
 * The launcher's environment without MOTO_* variables: e.g. MOTO_ACCOUNT_ID would silently move
 * every request to another account than the hooks' default, MOTO_IAM_LOAD_MANAGED_POLICIES
 * would change IAM's content. The backend is the same on every machine.
 */
function launcherEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('MOTO_')) env[name] = value;
  }
  env.PYTHONUNBUFFERED = '1';
  return env;
}

/** Keeps the last few KB of the launcher's stderr for error messages. */
function captureTail(child: ChildProcessWithoutNullStreams): () => string {
  let tail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  return () => tail.trim();
}

function waitForReadyLine(
  child: ChildProcessWithoutNullStreams,
  python: string,
  stderr: () => string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      settle(new MotoUnavailableError(`moto did not start within ${timeoutMs} ms. stderr:\n${stderr()}`));
    }, timeoutMs);

    const onData = (chunk: string): void => {
      stdout += chunk;
      const match = READY_LINE.exec(stdout);
      if (match?.[1]) settle(undefined, match[1]);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      const message =
        error.code === 'ENOENT'
          ? `${python} was not found on PATH; integration tests need Python 3 with moto. ${INSTALL_HINT}`
          : `could not run ${python}: ${error.message}`;
      settle(new MotoUnavailableError(message, { cause: error }));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // The launcher exits with 3 when moto cannot be imported; its stderr says why and how to fix.
      const status = code ?? signal;
      settle(
        new MotoUnavailableError(
          `moto launcher exited before it was ready (${status}). ${INSTALL_HINT}\nstderr:\n${stderr()}`,
        ),
      );
    };

    function settle(error?: Error, endpoint?: string): void {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('error', onError);
      child.off('exit', onExit);
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout.resume();
      if (error) reject(error);
      else resolve(endpoint!);
    }

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('error', onError);
    child.once('exit', onExit);
  });
}

async function checkHealth(endpoint: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}/_iam_posture/health`);
  } catch (error) {
    throw new MotoUnavailableError(`moto at ${endpoint} does not answer`, { cause: error });
  }
  const body = (await response.json()) as { ok?: boolean; moto?: string };
  if (!response.ok || body.ok !== true) {
    throw new MotoUnavailableError(`moto at ${endpoint} is unhealthy: HTTP ${response.status}`);
  }
}

/** SIGTERM, then SIGKILL if the process is still alive after 5 s. */
function terminate(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.stdin.end();
    child.kill('SIGTERM');
  });
}
