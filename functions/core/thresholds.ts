import * as z from 'zod';
import { closestName } from './suggest';

/**
 * The rules' thresholds, a part of the scan settings of its own: rules read them, and the rule
 * catalog must not depend on the settings, which check rule ids against the catalog.
 */

/**
 * An object that rejects unknown keys, naming the closest known key: a misspelt key never
 * silently falls back to its default.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const close = closestName(key, known);
          return `Unrecognized key: "${key}"${close ? ` (did you mean ${close}?)` : ` (known keys: ${known.join(', ')})`}`;
        })
        .join('; ');
    },
  });
}

const days = (fallback: number) => z.number().int().min(1).max(365).default(fallback);

export const ThresholdsSchema = strictObject({
  roleUnusedDays: days(90),
  accessKeyUnusedDays: days(45),
  accessKeyRotationDays: days(90),
  passwordUnusedDays: days(45),
  secretRotationDays: days(90),
  secretUnusedDays: days(90),
  serviceUnusedDays: days(90),
  certificateExpiryDays: days(30),
  jitEligibilityUnusedDays: days(90),
  breakGlassReviewDays: days(90),
});

export type Thresholds = z.infer<typeof ThresholdsSchema>;
