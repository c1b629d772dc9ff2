import { describe, expect, it } from 'vitest';
import { canTransition, isExpired, REQUEST_STATES } from '../../../functions/core/remediation/request';

const now = new Date('2026-06-01T12:00:00Z');

describe('isExpired', () => {
  it.each([
    ['pending, expiry one second ahead', 'pending', '2026-06-01T12:00:01Z', false],
    ['pending, expiry exactly now', 'pending', '2026-06-01T12:00:00Z', true],
    ['approved, expiry passed', 'approved', '2026-06-01T11:59:59Z', true],
    ['pending, unreadable expiry', 'pending', 'not a date', true],
    ['executed, expiry passed (no longer waiting)', 'executed', '2026-05-01T00:00:00Z', false],
  ] as const)('%s -> %s', (_label, state, expiresAt, expected) => {
    expect(isExpired({ state, expiresAt }, now)).toBe(expected);
  });
});

describe('request transitions', () => {
  it('lets a rollback start only from an executed, rollback-requested, failed or attention request', () => {
    const into = REQUEST_STATES.filter((from) => canTransition(from, 'rolled-back'));
    expect(into).toEqual(['executed', 'failed', 'rollback-requested', 'attention']);
  });

  it('marks for attention only an execution, and leaves attention only by a rollback', () => {
    expect(REQUEST_STATES.filter((from) => canTransition(from, 'attention'))).toEqual(['executing']);
    expect(REQUEST_STATES.filter((to) => canTransition('attention', to))).toEqual(['rolled-back']);
  });

  it('approves only a pending request, and executes only an approved one', () => {
    expect(REQUEST_STATES.filter((from) => canTransition(from, 'approved'))).toEqual(['pending']);
    expect(REQUEST_STATES.filter((from) => canTransition(from, 'executing'))).toEqual(['approved']);
  });
});
