import { jitConfigured, parseJitFunctionConfig } from '../core/jit/function-config';
import type { ElevationProfile } from '../core/jit/types';

/**
 * The elevation profiles of a function's environment (`JIT_PROFILES`), where just-in-time
 * elevation is deployed; undefined elsewhere. A bad value throws, naming the variable.
 */
export function jitProfilesOf(
  env: Readonly<Record<string, string | undefined>>,
): readonly ElevationProfile[] | undefined {
  return jitConfigured(env) ? parseJitFunctionConfig(env).profiles : undefined;
}

/** The planning part of `jitProfilesOf`: standing admin a profile covers is converted, not only removed. */
export function jitPlanning(env: Readonly<Record<string, string | undefined>>): {
  jitProfiles?: readonly ElevationProfile[];
} {
  const profiles = jitProfilesOf(env);
  return profiles ? { jitProfiles: profiles } : {};
}
