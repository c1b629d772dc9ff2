import type { Rule } from '../rule';
import { roleUnused } from './role-unused';

/** The rule catalog: every rule, listed explicitly. Order is the display order of `iam-posture rules`. */
export const RULES: readonly Rule[] = [roleUnused];
