import * as z from 'zod';
import { jsonVariable } from '../env-schema';
import { formatIssues } from '../settings';
import { ApproverSchema } from '../slack/ids';
import {
  JIT_ENV_KEYS,
  type JitDeployConfig,
  jitVariables,
  MAX_PROFILE_MINUTES,
  MAX_REQUEST_TTL_MINUTES,
} from './config';
import type { ElevationProfile } from './types';

export { JIT_ENV_KEYS };

/**
 * The just-in-time part of a function's environment, written by the stack with
 * `jitFunctionEnvironment` and read once by the function with `parseJitFunctionConfig`. Profiles
 * travel as `ElevationProfile` JSON (durations already in minutes), and are checked again here:
 * a hand-edited variable is refused by name, never half-used.
 */

const minutes = (max: number) => z.int().min(1).max(max);

const EnvProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/),
    description: z.string().optional(),
    statements: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    managedPolicyArn: z.string().startsWith('arn:').optional(),
    eligible: z.array(z.string().startsWith('arn:')).min(1),
    maxMinutes: minutes(MAX_PROFILE_MINUTES),
    approvers: z.array(ApproverSchema).min(1),
    approvals: z.int().min(1).max(5),
    breakGlass: z
      .object({ maxMinutes: minutes(MAX_PROFILE_MINUTES) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((p) => (p.statements === undefined) !== (p.managedPolicyArn === undefined), {
    message: 'must have exactly one of statements and managedPolicyArn',
  });

export const JitEnvSchema = z.object({
  [JIT_ENV_KEYS.profiles]: jsonVariable(
    z
      .array(EnvProfileSchema)
      .refine((profiles) => new Set(profiles.map((p) => p.name)).size === profiles.length, {
        message: 'names a profile twice',
      }),
  ),
  [JIT_ENV_KEYS.slashCommand]: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a Slack slash command like /elevate')
    .default('/elevate'),
  [JIT_ENV_KEYS.channelId]: z
    .string()
    .regex(/^[CG][A-Z0-9]{6,}$/, 'must be a Slack channel id like C0123ABCD')
    .optional(),
  [JIT_ENV_KEYS.requestTtlMinutes]: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of minutes')
    .transform(Number)
    .pipe(minutes(MAX_REQUEST_TTL_MINUTES))
    .default(60),
});

export interface JitFunctionConfig {
  profiles: ElevationProfile[];
  slashCommand: string;
  /** Where requests are posted; absent when neither jit.channelId nor slackChannelId is set. */
  channelId?: string;
  requestTtlMinutes: number;
}

/** A bad just-in-time variable; each issue names the variable (`JIT_PROFILES.0.maxMinutes: ...`). */
export class JitConfigError extends Error {
  override readonly name = 'JitConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid just-in-time function environment: ${issues.join('; ')}`, options);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** True when the environment carries just-in-time elevation (the stack sets it only with profiles). */
export function jitConfigured(env: Env): boolean {
  return env[JIT_ENV_KEYS.profiles] !== undefined;
}

/** Parses the just-in-time variables (pass `process.env`). */
export function parseJitFunctionConfig(env: Env): JitFunctionConfig {
  const result = JitEnvSchema.safeParse(env);
  if (!result.success) throw new JitConfigError(formatIssues(result.error), { cause: result.error });
  const e = result.data;
  const channelId = e[JIT_ENV_KEYS.channelId];
  return {
    profiles: e[JIT_ENV_KEYS.profiles] as ElevationProfile[],
    slashCommand: e[JIT_ENV_KEYS.slashCommand],
    ...(channelId !== undefined ? { channelId } : {}),
    requestTtlMinutes: e[JIT_ENV_KEYS.requestTtlMinutes],
  };
}

/** The just-in-time variables for the CDK construct; `channelId` falls back to slackChannelId there. */
export function jitFunctionEnvironment(
  config: JitDeployConfig & { channelId?: string },
): Record<string, string> {
  return jitVariables(config);
}
