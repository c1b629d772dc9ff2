import { z } from 'zod';

/**
 * Who did something, from where: a Slack user (team + user id) or the CLI (local OS user). A leaf
 * of its own, so the records that name actors (remediation requests, elevations, eligibilities)
 * can be read by rules without importing remediation planning.
 */
export const ACTOR_KINDS = ['slack', 'cli', 'system'] as const;

export interface Actor {
  kind: (typeof ACTOR_KINDS)[number];
  id: string;
  teamId?: string;
  name?: string;
}

/**
 * An actor as the records in the findings table name it: the kind and id are required (an audit
 * trail names whole actors), anything else is kept as stored.
 */
export const StoredActorSchema = z.looseObject({
  kind: z.enum(ACTOR_KINDS),
  id: z.string().min(1),
  teamId: z.string().optional(),
  name: z.string().optional(),
});
