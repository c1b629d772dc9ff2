import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { ACTOR_KINDS } from '../core/actor';
import {
  JIT_ANNOUNCED_EVENTS,
  JIT_GRANT_EVENT,
  JIT_REVOKE_REQUEST_EVENT,
} from '../core/jit-elevation-function-config';
import type { Actor } from '../core/remediation/request';
import { type JitOperations, jitHandlerOperations } from '../wiring/jit';
import { createObservability, instrument, type Observability } from '../wiring/powertools';

/**
 * The JIT function. Three callers, one grant id each at most:
 * - the findings bus: `ElevationApproved` writes the grant; `ElevationRevokeRequested` (Slack's
 *   "Done") ends it early; every other step of a grant is handed to the announcer, which keeps
 *   the grant's Slack message current;
 * - its one-time revoke schedule, at the end of the window: `{"action":"revoke","grantId":"..."}`;
 * - the hourly rule: `{"action":"reconcile"}` lapses unanswered requests and removes grant
 *   policies that outlived their grant.
 * Work that failed is thrown, so Lambda retries it (every path is idempotent on the grant id) and
 * then sends the invocation to the dead-letter queue, which is alarmed. An event it does not know
 * is refused with an error naming what is wrong, and nothing is done.
 */

/** Grant ids are lower-case uuids or hex (types.ts); anything else never reaches a use case. */
const GrantIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a grant id (lower-case letters, digits and -, at most 64)');

const ActorSchema = z.object({
  kind: z.enum(ACTOR_KINDS),
  id: z.string().min(1).max(200),
  teamId: z.string().min(1).max(50).optional(),
  name: z.string().max(200).optional(),
});

const BusEventSchema = z.looseObject({
  source: z.literal('iam-posture', { error: 'must be iam-posture' }),
  'detail-type': z.string({ error: 'is required' }),
  detail: z.looseObject(
    { grantId: GrantIdSchema, by: ActorSchema.optional() },
    { error: 'must be an object' },
  ),
});

const ScheduledSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({ action: z.literal('revoke'), grantId: GrantIdSchema }),
    z.strictObject({ action: z.literal('reconcile') }),
  ],
  { error: 'must be "revoke" or "reconcile"' },
);

export type JitEvent =
  | { kind: 'grant'; grantId: string }
  | { kind: 'revoke'; grantId: string; reason: 'expired' | 'done'; by: Actor }
  | { kind: 'announce'; grantId: string; detailType: string }
  | { kind: 'reconcile' };

/** The event is none the JIT function acts on, or is malformed; nothing was done. */
export class InvalidJitEventError extends Error {
  override readonly name = 'InvalidJitEventError';
}

/** The grant was recorded failed (quota, principal gone, no longer eligible); thrown for the alarm. */
export class ElevationGrantFailedError extends Error {
  override readonly name = 'ElevationGrantFailedError';
  constructor(
    readonly grantId: string,
    reason: string,
  ) {
    super(`elevation grant ${grantId} failed: ${reason}`);
  }
}

/** A grant policy could not be removed; thrown so the revoke is retried and then dead-lettered. */
export class ElevationRevokeFailedError extends Error {
  override readonly name = 'ElevationRevokeFailedError';
  constructor(
    readonly grantId: string,
    reason: string,
  ) {
    super(`elevation revoke ${grantId} failed: ${reason}`);
  }
}

/**
 * The reconciler could not remove some grant policies, or could not list a principal's inline
 * policies; each removal failure is published and shows up in the next scan.
 */
export class ReconcileFailedError extends Error {
  override readonly name = 'ReconcileFailedError';
  constructor(
    readonly failed: readonly { principalArn: string; policyName: string; error: string }[],
    readonly unread: readonly { principalArn: string; error: string }[],
  ) {
    const parts = [
      ...failed.map((f) => `could not remove ${f.policyName} from ${f.principalArn} (${f.error})`),
      ...unread.map((u) => `could not list the inline policies of ${u.principalArn} (${u.error})`),
    ];
    super(`the reconcile did not finish cleanly: ${parts.join('; ')}`);
  }
}

/** The system actor a scheduled revoke runs as. */
export const SCHEDULER_ACTOR: Actor = { kind: 'system', id: 'iam-posture-jit-schedule' };

const issuesOf = (error: z.ZodError) =>
  error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'event'} ${issue.message}`)
    .join('; ');

/** What the event asks for, or an InvalidJitEventError naming what is wrong. */
export function parseJitEvent(event: unknown): JitEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidJitEventError(
      'the JIT function takes an object event: an EventBridge event or an action',
    );
  }
  if ('action' in event) {
    const scheduled = ScheduledSchema.safeParse(event);
    if (!scheduled.success)
      throw new InvalidJitEventError(`invalid JIT action: ${issuesOf(scheduled.error)}`);
    return scheduled.data.action === 'reconcile'
      ? { kind: 'reconcile' }
      : { kind: 'revoke', grantId: scheduled.data.grantId, reason: 'expired', by: SCHEDULER_ACTOR };
  }
  const bus = BusEventSchema.safeParse(event);
  if (!bus.success) throw new InvalidJitEventError(`invalid JIT event: ${issuesOf(bus.error)}`);
  const detailType = bus.data['detail-type'];
  const { grantId, by } = bus.data.detail;
  if (detailType === JIT_GRANT_EVENT) return { kind: 'grant', grantId };
  if (detailType === JIT_REVOKE_REQUEST_EVENT) {
    if (!by)
      throw new InvalidJitEventError(`invalid JIT event: ${JIT_REVOKE_REQUEST_EVENT} detail.by is required`);
    return { kind: 'revoke', grantId, reason: 'done', by };
  }
  if ((JIT_ANNOUNCED_EVENTS as readonly string[]).includes(detailType)) {
    return { kind: 'announce', grantId, detailType };
  }
  throw new InvalidJitEventError(`unexpected event type ${detailType}`);
}

export type JitHandlerResult =
  | { kind: 'grant'; grantId: string; outcome: string }
  | { kind: 'revoke'; grantId: string; outcome: string }
  | { kind: 'announce'; grantId: string; outcome: 'announced' | 'no-announcer' }
  | { kind: 'reconcile'; lapsed: number; removed: number; expired: number };

/** Runs what one parsed event asks for against the operations; throws where work failed. */
export async function dispatchJitEvent(
  event: JitEvent,
  operations: JitOperations,
  logger?: Logger,
): Promise<JitHandlerResult> {
  switch (event.kind) {
    case 'grant': {
      const result = await operations.grant(event.grantId);
      logWarnings(logger, result.warnings);
      if (result.outcome === 'failed')
        throw new ElevationGrantFailedError(event.grantId, result.reason ?? 'unknown');
      logger?.info('elevation grant handled', { grantId: event.grantId, outcome: result.outcome });
      return { kind: 'grant', grantId: event.grantId, outcome: result.outcome };
    }
    case 'revoke': {
      const result = await operations.revoke({ grantId: event.grantId, by: event.by, reason: event.reason });
      logWarnings(logger, result.warnings);
      if (result.outcome === 'failed')
        throw new ElevationRevokeFailedError(event.grantId, result.reason ?? 'unknown');
      logger?.info('elevation revoke handled', {
        grantId: event.grantId,
        outcome: result.outcome,
        reason: event.reason,
      });
      return { kind: 'revoke', grantId: event.grantId, outcome: result.outcome };
    }
    case 'announce': {
      if (!operations.announce) {
        logger?.info('elevation step not announced: no announcer', {
          grantId: event.grantId,
          detailType: event.detailType,
        });
        return { kind: 'announce', grantId: event.grantId, outcome: 'no-announcer' };
      }
      await operations.announce(event.grantId);
      return { kind: 'announce', grantId: event.grantId, outcome: 'announced' };
    }
    case 'reconcile': {
      const result = await operations.reconcile();
      logger?.info('elevations reconciled', {
        lapsed: result.lapsed.length,
        removed: result.removed.length,
        expired: result.expired.length,
        failed: result.failed.length,
        unread: result.unread.length,
      });
      logWarnings(logger, result.warnings);
      if (result.failed.length > 0 || result.unread.length > 0) {
        throw new ReconcileFailedError(result.failed, result.unread);
      }
      return {
        kind: 'reconcile',
        lapsed: result.lapsed.length,
        removed: result.removed.length,
        expired: result.expired.length,
      };
    }
  }
}

function logWarnings(logger: Logger | undefined, warnings: readonly string[] | undefined): void {
  for (const warning of warnings ?? []) logger?.error('elevation follow-up failed', { warning });
}

/**
 * The handler over operations built once, on the first invocation, by `build`. The build gets the
 * Lambda context: the function's own ARN is the revoke schedules' target, and its account is the
 * account grants are made in.
 */
export function createHandler(
  build: (context: Context) => JitOperations,
  observability: Observability = createObservability(),
): (event: unknown, context: Context) => Promise<JitHandlerResult> {
  const { logger } = observability;
  let operations: JitOperations | undefined;
  return instrument(async (event: unknown, context: Context) => {
    // Parsed before anything is built: a bad event does nothing at all.
    const parsed = parseJitEvent(event);
    operations ??= build(context);
    if ('grantId' in parsed) logger.appendKeys({ grantId: parsed.grantId });
    try {
      return await dispatchJitEvent(parsed, operations, logger);
    } finally {
      logger.removeKeys(['grantId']);
    }
  }, observability);
}

export const handler = createHandler((context) =>
  jitHandlerOperations(process.env, context.invokedFunctionArn),
);
