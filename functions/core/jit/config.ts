import * as z from 'zod';
import { PolicyParseError } from '../policy/parse';
import { ApproverSchema } from '../slack/ids';
import { suggestion } from '../suggest';
import { strictObject } from '../thresholds';
import { DurationError, parseDuration } from './duration';
import { exampleArnOf, profilePrivilege } from './privilege';
import type { ElevationProfile, PolicyStatementDocument } from './types';

/**
 * The `jit` key of the deploy config: elevation profiles and where requests are made. Disabled
 * (no profiles) by default. Everything that can be checked before anyone asks is checked at synth,
 * each problem under the path the operator wrote (`jit.profiles.0.approvals`).
 */

/** The longest window a profile may allow; a longer one is standing access with extra steps. */
export const MAX_PROFILE_MINUTES = 12 * 60;

/** The longest an unanswered request may wait. */
export const MAX_REQUEST_TTL_MINUTES = 24 * 60;

/** The reconciler removes expired and unknown grant policies this often; not configurable. */
export const JIT_RECONCILE_SCHEDULE = 'rate(1 hour)';

/**
 * Budget for the just-in-time variables (profiles JSON and the rest) in a function environment:
 * Lambda allows 4 KB for all variables together, and the interaction function carries the Slack,
 * table and remediation variables beside them.
 */
export const JIT_ENV_BUDGET_BYTES = 2500;

/** A duration (`90m`, `1h30m`), checked here and kept as written; `toElevationProfile` converts it. */
const duration = z.string().superRefine((text, ctx) => {
  try {
    parseDuration(text);
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    ctx.addIssue({ code: 'custom', message: `${error.problem}, got "${text}"` });
  }
});

/** Minutes of a duration the schema already accepted; NaN never reaches a comparison. */
function minutesOf(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    return Number.NaN;
  }
}

/**
 * Who may receive a profile: IAM roles or users, by exact ARN or glob (`*` within a segment,
 * `**` across `/`). The partition is literal, and the resource must say role/ or user/, so no
 * pattern reaches groups, policies or every principal kind at once.
 */
const eligiblePattern = z
  .string()
  .regex(
    /^arn:aws(-[a-z]+)*:iam::(\d{12}|\*):(role|user)\/\S+$/,
    'must be an IAM role or user ARN, or a glob of them, e.g. arn:aws:iam::123456789012:role/ops-*',
  );

const managedPolicyArn = z
  .string()
  .regex(
    /^arn:aws(-[a-z]+)*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]{1,512}$/,
    'must be an IAM managed policy ARN, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess',
  );

const statement = z.record(z.string(), z.unknown(), { error: 'must be an IAM policy statement (an object)' });

export const JitProfileSchema = strictObject({
  /** Lower-case letters, digits and dashes: it is typed in `/elevate` and the CLI. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be 1-41 lower-case letters, digits and dashes, e.g. db-admin'),
  description: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .optional(),
  /** The statements granted; exactly one of `statements` and `managedPolicyArn`. */
  statements: z.array(statement).min(1, 'must hold at least one statement').max(20).optional(),
  /** A managed policy whose default version is copied into the grant when requested. */
  managedPolicyArn: managedPolicyArn.optional(),
  eligible: z.array(eligiblePattern).min(1, 'must name at least one eligible role or user (ARN or glob)'),
  maxDuration: duration.default('4h'),
  approvers: z.array(ApproverSchema).min(1, 'must name at least one approver'),
  approvals: z.int().min(1).max(5).default(1),
  breakGlass: strictObject({ maxDuration: duration.default('1h') }).optional(),
}).superRefine((profile, ctx) => {
  if ((profile.statements === undefined) === (profile.managedPolicyArn === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [profile.statements === undefined ? 'statements' : 'managedPolicyArn'],
      message: 'give exactly one of statements and managedPolicyArn',
    });
  }
  const max = minutesOf(profile.maxDuration);
  if (max > MAX_PROFILE_MINUTES) {
    ctx.addIssue({ code: 'custom', path: ['maxDuration'], message: 'must be at most 12h' });
  }
  if (profile.breakGlass && minutesOf(profile.breakGlass.maxDuration) > max) {
    ctx.addIssue({
      code: 'custom',
      path: ['breakGlass', 'maxDuration'],
      message: `must be at most the profile's maxDuration (${profile.maxDuration})`,
    });
  }
  if (profile.approvals > profile.approvers.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['approvals'],
      message: `needs ${profile.approvals} approvals but only ${profile.approvers.length} approvers are listed`,
    });
  }
  if (profile.statements) checkStatements(profile.statements, profile, ctx);
  const managed = profile.managedPolicyArn && PRIVILEGED_MANAGED_POLICIES.exec(profile.managedPolicyArn)?.[1];
  if (managed && profile.approvals < 2) {
    ctx.addIssue({
      code: 'custom',
      path: ['approvals'],
      message: `must be at least 2: ${managed} is ${managed === 'PowerUserAccess' ? 'able to escalate privilege' : 'administrator-equivalent'}`,
    });
  }
});

/**
 * AWS managed policies known to be administrator-equivalent or escalation-capable. Other managed
 * policies are read only when someone asks, and the request then needs 2 approvals if the copied
 * document turns out to be either; these are caught at synth so the config says so up front.
 */
const PRIVILEGED_MANAGED_POLICIES =
  /^arn:aws(?:-[a-z]+)*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess|PowerUserAccess)$/;

type ProfileInput = Pick<z.output<typeof JitProfileSchema>, 'eligible' | 'approvals'>;

/** The elements of an identity policy statement. */
const STATEMENT_KEYS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

function checkStatements(
  statements: readonly PolicyStatementDocument[],
  profile: ProfileInput,
  ctx: z.RefinementCtx,
): void {
  let problems = 0;
  for (const [i, s] of statements.entries()) {
    const at = (...rest: (string | number)[]) => ['statements', i, ...rest];
    if (s.Principal !== undefined || s.NotPrincipal !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: at(s.Principal !== undefined ? 'Principal' : 'NotPrincipal'),
        message: 'an identity policy statement names no principal',
      });
      problems++;
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: at(),
        message:
          s.Resource === undefined ? 'needs Resource or NotResource' : 'has both Resource and NotResource',
      });
      problems++;
    }
    for (const key of Object.keys(s)) {
      if (STATEMENT_KEYS.includes(key) || key === 'Principal' || key === 'NotPrincipal') continue;
      ctx.addIssue({
        code: 'custom',
        path: at(key),
        message: `is not a statement element${suggestion(key, STATEMENT_KEYS, 'elements')}`,
      });
      problems++;
    }
    if (isRecord(s.Condition)) {
      for (const [operator, block] of Object.entries(s.Condition)) {
        if (!isRecord(block)) continue;
        const key = Object.keys(block).find((k) => k.toLowerCase() === 'aws:currenttime');
        if (key !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: at('Condition', operator, key),
            message: 'the grant sets the time window itself; leave aws:CurrentTime out',
          });
          problems++;
        }
      }
    }
  }
  if (problems > 0) return;
  let privilege: ReturnType<typeof profilePrivilege>;
  try {
    privilege = profilePrivilege(statements, profile.eligible.map(exampleArnOf));
  } catch (error) {
    if (!(error instanceof PolicyParseError)) throw error;
    ctx.addIssue({ code: 'custom', path: statementPath(error.path), message: error.problem });
    return;
  }
  if ((privilege.adminEquivalent || privilege.canEscalate) && profile.approvals < 2) {
    ctx.addIssue({
      code: 'custom',
      path: ['approvals'],
      message: `must be at least 2: the statements are ${privilege.adminEquivalent ? 'administrator-equivalent' : 'able to escalate privilege'}`,
    });
  }
}

/** `$.Statement[1].Action[0]` -> `statements.1.Action.0`. */
function statementPath(jsonPath: string): (string | number)[] {
  const path: (string | number)[] = ['statements'];
  for (const part of jsonPath.replace(/^\$\.Statement/, '').matchAll(/\[(\d+)\]|\.([^.[]+)/g)) {
    path.push(part[1] !== undefined ? Number(part[1]) : part[2]!);
  }
  return path;
}

/** A Slack slash command: `/` and up to 31 lower-case letters, digits, `-` or `_`. */
const slashCommand = z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a Slack slash command like /elevate');

export const JitDeploySchema = strictObject({
  profiles: z.array(JitProfileSchema).max(20).default([]),
  slashCommand: slashCommand.default('/elevate'),
  /** Where requests and grants are posted; the deploy config's slackChannelId when absent. */
  channelId: z
    .string()
    .regex(/^[CG][A-Z0-9]{6,}$/, 'must be a Slack channel id like C0123ABCD')
    .optional(),
  /** An unanswered request lapses after this. */
  requestTtl: duration.default('1h'),
}).superRefine((jit, ctx) => {
  const seen = new Map<string, number>();
  for (const [i, profile] of jit.profiles.entries()) {
    const first = seen.get(profile.name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['profiles', i, 'name'],
        message: `"${profile.name}" is already the name of profiles.${first}`,
      });
    } else seen.set(profile.name, i);
  }
  if (minutesOf(jit.requestTtl) > MAX_REQUEST_TTL_MINUTES) {
    ctx.addIssue({ code: 'custom', path: ['requestTtl'], message: 'must be at most 24h' });
  }
  if (jit.profiles.length === 0) return;
  const bytes = jitEnvironmentBytes(jit);
  if (bytes !== undefined && bytes > JIT_ENV_BUDGET_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['profiles'],
      message: `the profiles take ${bytes} bytes in the function environment, more than the ${JIT_ENV_BUDGET_BYTES} it can hold beside the other variables (4 KB in all): shorten descriptions or statements, or use managedPolicyArn`,
    });
  }
});

export type JitDeployConfig = z.output<typeof JitDeploySchema>;
export type JitProfileConfig = z.output<typeof JitProfileSchema>;

/** A profile of the deploy config as the functions use it (durations in minutes). */
export function toElevationProfile(p: JitProfileConfig): ElevationProfile {
  return {
    name: p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.statements !== undefined ? { statements: p.statements } : {}),
    ...(p.managedPolicyArn !== undefined ? { managedPolicyArn: p.managedPolicyArn } : {}),
    eligible: p.eligible,
    maxMinutes: parseDuration(p.maxDuration),
    approvers: p.approvers,
    approvals: p.approvals,
    ...(p.breakGlass ? { breakGlass: { maxMinutes: parseDuration(p.breakGlass.maxDuration) } } : {}),
  };
}

/** The variables a function that handles elevations gets (the stack adds table, bus and Slack). */
export const JIT_ENV_KEYS = {
  profiles: 'JIT_PROFILES',
  slashCommand: 'JIT_SLASH_COMMAND',
  channelId: 'JIT_CHANNEL_ID',
  requestTtlMinutes: 'JIT_REQUEST_TTL_MINUTES',
} as const;

/**
 * The just-in-time variables of a function environment. `channelId` is the channel requests go
 * to: `jit.channelId`, else the deploy config's slackChannelId.
 */
export function jitVariables(jit: JitDeployConfig & { channelId?: string }): Record<string, string> {
  return {
    [JIT_ENV_KEYS.profiles]: JSON.stringify(jit.profiles.map(toElevationProfile)),
    [JIT_ENV_KEYS.slashCommand]: jit.slashCommand,
    ...(jit.channelId !== undefined ? { [JIT_ENV_KEYS.channelId]: jit.channelId } : {}),
    [JIT_ENV_KEYS.requestTtlMinutes]: String(parseDuration(jit.requestTtl)),
  };
}

/**
 * The size of the variables as Lambda counts them (names and values, UTF-8). A channel id of the
 * usual length stands in when the config names none (slackChannelId is used then).
 */
function jitEnvironmentBytes(jit: JitDeployConfig): number | undefined {
  let variables: Record<string, string>;
  try {
    variables = jitVariables({ ...jit, channelId: jit.channelId ?? 'C0000000000' });
  } catch (error) {
    // A duration that does not parse is reported at its own path already.
    if (error instanceof DurationError) return undefined;
    throw error;
  }
  return new TextEncoder().encode(Object.entries(variables).flat().join('')).length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
