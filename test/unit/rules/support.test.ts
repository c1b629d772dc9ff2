import { describe, expect, it } from 'vitest';
import { principalAccount } from '../../../functions/core/rules/support/accounts';
import { actionMatches, wildcardMatches } from '../../../functions/core/rules/support/actions';
import { fixedPrefix } from '../../../functions/core/rules/support/conditions';
import { calendarDaysBetween } from '../../../functions/core/rules/support/dates';
import { webIdentityProvider } from '../../../functions/core/rules/support/web-identity';

describe('wildcardMatches', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything', true],
    ['a*', 'a', true],
    ['a*c', 'abbbc', true],
    ['a*c', 'abbbd', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*b*b*', 'abxbx', true],
    ['*ab', 'aaab', true],
    ['a*b*c', 'a-b-b-c', true],
    ['abc', 'abcd', false],
    ['abc', 'ab', false],
  ])('%s against %s -> %s', (pattern, value, expected) => {
    expect(wildcardMatches(pattern, value)).toBe(expected);
  });

  it('matches actions case-insensitively', () => {
    expect(actionMatches('STS:assume*', 'sts:AssumeRole')).toBe(true);
    expect(actionMatches('sts:AssumeRole', 'sts:AssumeRoleWithSAML')).toBe(false);
    expect(wildcardMatches('A*', 'abc')).toBe(false);
  });
});

describe('accounts', () => {
  it.each([
    ['123456789012', '123456789012'],
    ['arn:aws:iam::123456789012:root', '123456789012'],
    ['arn:aws:iam::123456789012:role/path/name', '123456789012'],
    ['arn:aws:sts::123456789012:assumed-role/name/session', '123456789012'],
    ['arn:aws-cn:iam::123456789012:user/x', '123456789012'],
    ['AROAEXAMPLEDELETED001', undefined],
    ['12345678901', undefined],
    ['arn:aws:iam::*:root', undefined],
  ])('the account of principal %s is %s', (value, account) => {
    expect(principalAccount(value)).toBe(account);
  });
});

describe('fixedPrefix', () => {
  it('stops at wildcards only for operators that have them, and at policy variables always', () => {
    expect(fixedPrefix('repo:acme/*', 'StringLike')).toBe('repo:acme/');
    expect(fixedPrefix('repo:acme/?x', 'StringLike')).toBe('repo:acme/');
    expect(fixedPrefix('repo:acme/*', 'StringEquals')).toBe('repo:acme/*');
    expect(fixedPrefix('arn:aws:iam::*:root', 'ArnEquals')).toBe('arn:aws:iam::');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
    expect(fixedPrefix('home/${aws:username}', 'StringEquals')).toBe('home/');
  });
});

describe('calendarDaysBetween', () => {
  it('counts UTC calendar days whatever the time of day', () => {
    const day = new Date('2026-03-03T00:00:00Z');
    expect(calendarDaysBetween(day, new Date('2026-03-03T23:59:59Z'))).toBe(0);
    expect(calendarDaysBetween(day, new Date('2026-03-04T00:00:00Z'))).toBe(1);
    expect(calendarDaysBetween(new Date('2026-03-03T23:00:00Z'), new Date('2026-03-04T01:00:00Z'))).toBe(1);
    expect(calendarDaysBetween(day, new Date('2026-06-01T12:00:00Z'))).toBe(90);
  });
});

describe('webIdentityProvider', () => {
  it.each([
    ['arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com', 'github', true],
    ['arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com/acme', 'github', false],
    ['arn:aws:iam::111111111111:oidc-provider/gitlab.com', 'gitlab', true],
    ['arn:aws:iam::111111111111:oidc-provider/gitlab.acme.example', 'gitlab', false],
    ['arn:aws:iam::111111111111:oidc-provider/app.terraform.io', 'terraform-cloud', true],
    ['arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC', 'eks', false],
    ['cognito-identity.amazonaws.com', 'cognito', true],
    ['accounts.google.com', 'google', true],
    ['arn:aws:iam::111111111111:oidc-provider/auth.acme.example', 'oidc', false],
  ])('%s is %s (shared: %s)', (principal, family, shared) => {
    expect(webIdentityProvider(principal)).toMatchObject({ family, shared });
  });

  it('keeps the issuer with its path, and ignores SAML providers', () => {
    expect(
      webIdentityProvider('arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC')
        ?.issuer,
    ).toBe('oidc.eks.eu-west-1.amazonaws.com/id/ABC');
    expect(webIdentityProvider('arn:aws:iam::111111111111:saml-provider/Okta')).toBeUndefined();
  });
});
