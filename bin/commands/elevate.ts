import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DeployConfigError, parseDeployConfigFromContext } from '../../functions/core/deploy-config';
import { toElevationProfile } from '../../functions/core/jit/config';
import { DurationError, formatDuration, parseDuration } from '../../functions/core/jit/duration';
import type { ElevationProfile, ElevationRequest, ElevationState } from '../../functions/core/jit/types';
import type { Actor } from '../../functions/core/remediation/request';
import type { ElevationCommandWiring } from '../../functions/wiring/elevate-command';
import { EXIT, fail, type Io } from './io';
import { remediationAwsConfig } from './options';

/**
 * `elevate`: asks for a just-in-time elevation from the command line, as `/elevate` does in Slack.
 * The request is stored in the findings table and published on the bus (ElevationRequested), so
 * the JIT function posts it to the JIT channel, where the profile's approvers approve it. The
 * requester is the caller's own AWS identity. `elevate list` shows requests and grants by state;
 * `elevate revoke` ends a grant early.
 */

/** The schedule group the stack keeps the revoke schedules in. */
export const DEFAULT_SCHEDULE_GROUP = 'iam-posture-jit';

/** The AWS flags of `elevate`: `--profile` names the elevation profile there, so AWS's is `--aws-profile`. */
export interface ElevateAwsOptions {
  table?: string;
  awsProfile?: string;
  region?: string;
  endpointUrl?: string;
}

export interface ElevateOptions extends ElevateAwsOptions {
  profile?: string;
  principal?: string;
  duration?: string;
  reason?: string;
  breakGlass?: boolean;
  config?: string;
  eventBus?: string;
}

export interface ElevateListOptions extends ElevateAwsOptions {
  state?: ElevationState;
}

export interface ElevateRevokeOptions extends ElevateAwsOptions {
  now?: boolean;
  eventBus?: string;
  config?: string;
  scheduleGroup?: string;
}

/** The states `elevate list` shows unless `--state` picks one: what is open or in force. */
const LIVE_STATES: readonly ElevationState[] = ['requested', 'approved', 'granted'];

async function wiringFor(options: ElevateAwsOptions & { eventBus?: string; scheduleGroup?: string }) {
  if (!options.table) fail('--table is required: the findings table of the stack (output FindingsTableName)');
  const aws = remediationAwsConfig({
    ...(options.awsProfile ? { profile: options.awsProfile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}),
  });
  const { elevationCommandWiring } = await import('../../functions/wiring/elevate-command');
  return elevationCommandWiring({
    aws,
    table: options.table,
    // Listing publishes nothing; the bus is checked where a command needs it.
    eventBus: options.eventBus ?? '',
    scheduleGroup: options.scheduleGroup ?? DEFAULT_SCHEDULE_GROUP,
  });
}

/** The requester as the caller's AWS identity: its ARN, as STS names it. */
async function callerActor(wiring: ElevationCommandWiring): Promise<{ actor: Actor; accountId: string }> {
  const identity = await wiring.callerIdentity();
  return { actor: { kind: 'cli', id: identity.arn ?? identity.accountId }, accountId: identity.accountId };
}

export async function elevateCommand(options: ElevateOptions, io: Io): Promise<number> {
  const missing = (['profile', 'principal', 'duration', 'reason'] as const).filter((key) => !options[key]);
  if (missing.length > 0) {
    fail(
      `elevate needs ${missing.map((key) => `--${key}`).join(', ')} (or "elevate list", "elevate revoke ID")`,
    );
  }
  if (!options.eventBus) {
    fail(
      '--event-bus is required: the JIT function and Slack learn of the request from the bus (stack output EventBusName)',
    );
  }
  let minutes: number;
  try {
    minutes = parseDuration(options.duration!);
  } catch (error) {
    if (error instanceof DurationError) fail(`--duration: ${error.message}`);
    throw error;
  }
  const jit = await loadJitConfig(options.config);
  const wiring = await wiringFor(options);
  try {
    const { actor, accountId } = await callerActor(wiring);
    const { requestElevation } = await import('../../functions/use-cases/request-elevation');
    const result = await requestElevation(
      {
        profileName: options.profile!,
        principalArn: options.principal!,
        minutes,
        reason: options.reason!,
        breakGlass: options.breakGlass ?? false,
        requestedBy: actor,
        accountId,
      },
      {
        profiles: jit.profiles,
        store: wiring.store,
        policies: wiring.policies,
        events: wiring.events,
        now: () => new Date(),
        newGrantId: randomUUID,
        requestTtlMinutes: jit.requestTtlMinutes,
      },
    );
    if (result.outcome === 'refused') {
      io.stdout.write(`Refused: ${result.reason}\n`);
      return EXIT.findings;
    }
    for (const warning of result.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
    io.stdout.write(describeRequest(result.request));
    return EXIT.ok;
  } finally {
    wiring.close();
  }
}

function describeRequest(request: ElevationRequest): string {
  const minutes = Math.round((Date.parse(request.endsAt) - Date.parse(request.startsAt)) / 60_000);
  const lines = [
    `${request.breakGlass ? 'Break-glass elevation' : 'Elevation'} requested: ${request.profile} on ${request.principalArn}`,
    `  grant      ${request.grantId}`,
    `  hash       ${request.grantHash}`,
    `  window     ${request.startsAt} to ${request.endsAt} (${formatDuration(minutes)})`,
    request.state === 'requested'
      ? `  approvals  ${request.approvals.length} of ${request.requiredApprovals}, in Slack, before ${request.expiresAt}`
      : `  approvals  approved by the requester (break-glass); the grant is written next`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function elevateListCommand(options: ElevateListOptions, io: Io): Promise<number> {
  const wiring = await wiringFor(options);
  try {
    const states = options.state ? [options.state] : LIVE_STATES;
    const requests: ElevationRequest[] = [];
    for (const state of states) requests.push(...(await wiring.store.listByState(state)));
    if (requests.length === 0) {
      io.stdout.write(
        `No ${options.state ?? 'requested, approved or granted'} elevations in table ${options.table}.\n`,
      );
      return EXIT.ok;
    }
    io.stdout.write(elevationTable(requests));
    return EXIT.ok;
  } finally {
    wiring.close();
  }
}

/** One line per grant, columns aligned: what is asked, for whom, when, and how far it got. */
export function elevationTable(requests: readonly ElevationRequest[]): string {
  const header = ['GRANT', 'STATE', 'PROFILE', 'PRINCIPAL', 'STARTS', 'ENDS', 'APPROVALS', 'REQUESTED BY'];
  const rows = [...requests]
    .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.grantId.localeCompare(b.grantId))
    .map((r) => [
      r.grantId,
      r.breakGlass ? `${r.state} (break-glass)` : r.state,
      r.profile,
      r.principalArn,
      r.startsAt,
      r.endsAt,
      `${r.approvals.length}/${r.requiredApprovals}`,
      r.requestedBy.kind === 'slack' ? `slack:${r.requestedBy.id}` : r.requestedBy.id,
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export async function elevateRevokeCommand(
  grantId: string,
  options: ElevateRevokeOptions,
  io: Io,
): Promise<number> {
  if (!options.eventBus) {
    fail('--event-bus is required: the revoke is announced on the bus (stack output EventBusName)');
  }
  const wiring = await wiringFor(options);
  try {
    const request = await wiring.store.get(grantId);
    if (!request) fail(`no elevation ${grantId} in table ${options.table}`);
    const { actor } = await callerActor(wiring);
    if (!options.now) {
      if (!['requested', 'approved', 'granted'].includes(request.state)) {
        io.stdout.write(`Elevation ${grantId} is ${request.state}; there is nothing to revoke.\n`);
        return EXIT.findings;
      }
      await wiring.revokes.requestRevoke(request, actor);
      io.stdout.write(
        `Asked the JIT function to revoke elevation ${grantId} (${request.profile} on ${request.principalArn}).\n`,
      );
      return EXIT.ok;
    }
    const jit = await loadJitConfig(options.config, { optional: true });
    const { revokeElevation } = await import('../../functions/use-cases/revoke-elevation');
    const result = await revokeElevation(
      { grantId, by: actor, reason: 'cli' },
      {
        store: wiring.store,
        policies: wiring.policies,
        scheduler: wiring.scheduler,
        events: wiring.events,
        profiles: jit.profiles,
        now: () => new Date(),
      },
    );
    switch (result.outcome) {
      case 'revoked':
        for (const warning of result.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
        io.stdout.write(
          `Revoked elevation ${grantId}: ${result.request.policyName} removed from ${result.request.principalArn}.\n`,
        );
        return EXIT.ok;
      case 'already-revoked':
        io.stdout.write(`Elevation ${grantId} was revoked already; nothing was done.\n`);
        return EXIT.ok;
      case 'not-granted':
        io.stdout.write(`Elevation ${grantId} is ${result.request.state}; there is nothing to revoke.\n`);
        return EXIT.findings;
      case 'unknown':
        fail(`no elevation ${grantId} in table ${options.table}`);
        break;
      case 'refused':
        io.stdout.write(`Refused: ${result.message}\n`);
        return EXIT.findings;
      case 'failed':
        for (const warning of result.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
        io.stdout.write(`Not revoked: ${result.reason}\n`);
        return EXIT.findings;
    }
    return EXIT.findings;
  } finally {
    wiring.close();
  }
}

interface JitCommandConfig {
  profiles: ElevationProfile[];
  requestTtlMinutes: number;
}

/**
 * The elevation profiles of the deploy config: `--config FILE` (a cdk.json, or a JSON object of
 * deploy config keys), else ./cdk.json. The whole config is validated as `cdk synth` validates it,
 * so the CLI and the stack agree on the profiles.
 */
async function loadJitConfig(
  file: string | undefined,
  options: { optional?: boolean } = {},
): Promise<JitCommandConfig> {
  const path = file ?? 'cdk.json';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (options.optional && file === undefined) return { profiles: [], requestTtlMinutes: 60 };
    const code = (error as { code?: unknown }).code;
    fail(
      `${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${String(code ?? error)})`}: give the deploy config with --config FILE`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    fail(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail(`${path}: must be a JSON object`);
  const record = json as Record<string, unknown>;
  const context = 'context' in record ? record.context : record;
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    fail(`${path}: context must be a JSON object`);
  }
  try {
    const config = parseDeployConfigFromContext(context as Record<string, unknown>);
    const profiles = config.jit.profiles.map(toElevationProfile);
    if (profiles.length === 0 && !options.optional)
      fail(`${path}: jit.profiles is empty; no elevation can be requested`);
    return { profiles, requestTtlMinutes: parseDuration(config.jit.requestTtl) };
  } catch (error) {
    if (error instanceof DeployConfigError) fail(`${path}: ${error.issues.join('; ')}`);
    throw error;
  }
}
