import type { Statement } from '../../policy/types';

/** True when the IAM pattern (`*` any run, `?` one character) matches the whole value. */
export function wildcardMatches(
  pattern: string,
  value: string,
  options: { ignoreCase?: boolean } = {},
): boolean {
  const p = options.ignoreCase ? pattern.toLowerCase() : pattern;
  const v = options.ignoreCase ? value.toLowerCase() : value;
  // Iterative glob match with backtracking on the last `*`: linear in practice, no regular expression.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Actions are case-insensitive: `sts:Assume*` matches `sts:AssumeRole`. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatches(pattern, action, { ignoreCase: true });
}

/** True when the statement's Action (or NotAction) covers the action, whatever the effect. */
export function statementCoversAction(statement: Statement, action: string): boolean {
  if (statement.actions) return statement.actions.some((pattern) => actionMatches(pattern, action));
  if (statement.notActions) return !statement.notActions.some((pattern) => actionMatches(pattern, action));
  return false;
}

/** The actions of `candidates` the statement covers, in the order given. */
export function coveredActions(statement: Statement, candidates: readonly string[]): string[] {
  return candidates.filter((action) => statementCoversAction(statement, action));
}
