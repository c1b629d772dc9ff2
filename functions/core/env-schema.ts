import * as z from 'zod';
import { parseSecretArn } from './arn';

/**
 * Building blocks for the functions' environment schemas: every Lambda parses its variables with
 * these, so the same mistake gets the same message in every function.
 */

/** A variable holding JSON, validated by `schema` once parsed. */
export function jsonVariable<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** A variable that must be set to a non-blank value. */
export const requiredVariable = z.string({ error: 'is required' }).trim().min(1, 'is required');

/** A Secrets Manager secret ARN (secrets are referenced by ARN, never given as values). */
export const secretArnVariable = z
  .string({ error: 'is required' })
  .refine((value) => parseSecretArn(value) !== undefined, 'must be a Secrets Manager secret ARN');

/** Slack's API, or a local stand-in (http only on the loopback interface). */
export const slackApiUrlVariable = z
  .url({ error: 'must be a URL' })
  .refine((url) => {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:') return true;
    return parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  }, 'must be an https URL (http only for 127.0.0.1 or localhost)')
  .refine((url) => url.endsWith('/'), 'must end with /');
