import type { Condition } from '../../policy/types';

/** Condition keys are case-insensitive in IAM. */
export function conditionKeyIs(condition: Condition, key: string): boolean {
  return condition.key.toLowerCase() === key.toLowerCase();
}

/** A condition as evidence reads it: `StringLike aws:PrincipalArn = arn:aws:iam::*:role/x`. */
export function describeCondition(condition: Condition): string {
  const values = condition.values.length === 1 ? condition.values[0] : `[${condition.values.join(', ')}]`;
  return `${condition.raw} ${condition.key} = ${values}`;
}

/** Operators whose values may hold `*` and `?` wildcards (ARN operators match each field with wildcards). */
const WILDCARD_OPERATORS = new Set([
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
]);

export const POSITIVE_STRING_OPERATORS: ReadonlySet<string> = new Set([
  'StringEquals',
  'StringEqualsIgnoreCase',
  'StringLike',
]);

export const NEGATED_OPERATORS: ReadonlySet<string> = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
  'NotIpAddress',
]);

export function allowsWildcards(operator: string): boolean {
  return WILDCARD_OPERATORS.has(operator);
}

export function hasPolicyVariable(value: string): boolean {
  return value.includes('${');
}

/** The literal start of a value under the operator: everything before the first wildcard or policy variable. */
export function fixedPrefix(value: string, operator: string): string {
  let end = value.length;
  const variable = value.indexOf('${');
  if (variable >= 0) end = variable;
  if (allowsWildcards(operator)) {
    for (const wildcard of ['*', '?']) {
      const at = value.indexOf(wildcard);
      if (at >= 0 && at < end) end = at;
    }
  }
  return value.slice(0, end);
}

/** True when the value matches exactly one string under the operator. */
export function isFixedValue(value: string, operator: string): boolean {
  return fixedPrefix(value, operator) === value;
}

/**
 * Why a condition does not hold the key to its listed values whenever the statement applies, or
 * undefined when it does: `ForAllValues` and `...IfExists` are true when the key is absent.
 */
export function vacuityOf(condition: Condition): string | undefined {
  if (condition.qualifier === 'ForAllValues')
    return 'ForAllValues is true when the key is absent from the request';
  if (condition.ifExists) return 'IfExists is true when the key is absent from the request';
  return undefined;
}
