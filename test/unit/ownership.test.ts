import { describe, expect, it } from 'vitest';
import { ownerFromTags, ownerLookup, ownerPatterns } from '../../functions/core/ownership';
import { parseScanSettings, SettingsError } from '../../functions/core/settings';
import {
  ACCOUNT_ID,
  aCoverageGap,
  anAccessKey,
  anInventory,
  aRole,
  aSecret,
  aServerCertificate,
  aUser,
  theRootUser,
} from '../support/builders';

const KEYS = ['owner', 'team', 'contact'];

describe('ownerFromTags', () => {
  it.each<[string, Record<string, string>, { id: string; source: string } | undefined]>([
    ['no tags', {}, undefined],
    ['the first key', { owner: 'alice', team: 'payments' }, { id: 'alice', source: 'tag:owner' }],
    ['a later key when the first is absent', { team: 'payments' }, { id: 'payments', source: 'tag:team' }],
    ['keys matched case-insensitively', { OWNER: 'alice' }, { id: 'alice', source: 'tag:OWNER' }],
    [
      'an empty value skipped for the next key',
      { owner: '', team: 'payments' },
      { id: 'payments', source: 'tag:team' },
    ],
    [
      'a whitespace value skipped',
      { Owner: '   ', contact: 'ops@example.com' },
      { id: 'ops@example.com', source: 'tag:contact' },
    ],
    ['only empty values', { owner: '', team: ' ' }, undefined],
    ['the value trimmed', { owner: ' alice ' }, { id: 'alice', source: 'tag:owner' }],
    ['unrelated keys ignored', { Name: 'ci', OwnerEmail: 'x@example.com' }, undefined],
    [
      'the configured spelling first when two spellings exist',
      { Owner: 'bob', owner: 'alice' },
      { id: 'alice', source: 'tag:owner' },
    ],
    [
      'another spelling when the configured one is empty',
      { owner: '', Owner: 'bob' },
      { id: 'bob', source: 'tag:Owner' },
    ],
  ])('%s', (_name, tags, expected) => {
    expect(ownerFromTags(tags, KEYS)).toEqual(expected);
  });

  it('does not depend on the order AWS lists the tags in', () => {
    expect(ownerFromTags({ OWNER: 'x', Owner: 'y' }, KEYS)).toEqual(
      ownerFromTags({ Owner: 'y', OWNER: 'x' }, KEYS),
    );
  });
});

describe('ownerPatterns', () => {
  const patterns = ownerPatterns([
    { arn: `arn:aws:iam::${ACCOUNT_ID}:role/ci-*`, owner: 'platform' },
    { arn: 'arn:aws:iam::*:role/**', owner: 'cloud-team' },
    { arn: `arn:aws:iam::${ACCOUNT_ID}:user/deploy`, owner: 'release' },
  ]);

  it.each([
    [
      `arn:aws:iam::${ACCOUNT_ID}:role/ci-build`,
      { id: 'platform', source: `pattern:arn:aws:iam::${ACCOUNT_ID}:role/ci-*` },
    ],
    // The first match wins, though the second matches too.
    [`arn:aws:iam::${ACCOUNT_ID}:role/app`, { id: 'cloud-team', source: 'pattern:arn:aws:iam::*:role/**' }],
    // `*` stays within a path segment; `**` crosses them.
    [
      `arn:aws:iam::${ACCOUNT_ID}:role/team/ci-x`,
      { id: 'cloud-team', source: 'pattern:arn:aws:iam::*:role/**' },
    ],
    [
      `arn:aws:iam::${ACCOUNT_ID}:user/deploy`,
      { id: 'release', source: `pattern:arn:aws:iam::${ACCOUNT_ID}:user/deploy` },
    ],
    // An exact ARN is compared whole, not as a prefix.
    [`arn:aws:iam::${ACCOUNT_ID}:user/deploy-2`, undefined],
  ])('%s', (arn, expected) => {
    expect(patterns(arn)).toEqual(expected);
  });
});

describe('ownerLookup', () => {
  const settings = {
    tagKeys: KEYS,
    patterns: [
      { arn: `arn:aws:iam::${ACCOUNT_ID}:server-certificate/**`, owner: 'web' },
      { arn: `arn:aws:iam::${ACCOUNT_ID}:user/**`, owner: 'fallback' },
    ],
  };
  const alice = aUser({ name: 'alice', tags: { team: 'payments' } });
  const inventory = anInventory({
    roles: [aRole({ name: 'ci', tags: { owner: 'platform' } })],
    users: [alice],
    secrets: [aSecret({ tags: { Contact: 'dba' } })],
  });
  const lookup = ownerLookup(settings, inventory);

  it('resolves roles, users and secrets from their tags before any pattern', () => {
    expect(lookup(inventory.roles[0]!)).toEqual({ id: 'platform', source: 'tag:owner' });
    expect(lookup(alice)).toEqual({ id: 'payments', source: 'tag:team' });
    expect(lookup(inventory.secrets[0]!)).toEqual({ id: 'dba', source: 'tag:Contact' });
  });

  it('gives an access key its user’s owner', () => {
    expect(lookup(anAccessKey({ userName: 'alice' }))).toEqual({ id: 'payments', source: 'tag:team' });
  });

  it('gives a key of an untagged user the pattern owner, and the root user’s key none', () => {
    expect(lookup(anAccessKey({ userName: 'bob' }))).toEqual({
      id: 'fallback',
      source: `pattern:arn:aws:iam::${ACCOUNT_ID}:user/**`,
    });
    expect(lookup(anAccessKey({ isRoot: true }))).toBeUndefined();
    expect(lookup(theRootUser())).toBeUndefined();
  });

  it('owns a server certificate only through a pattern', () => {
    expect(lookup(aServerCertificate())).toEqual({
      id: 'web',
      source: `pattern:arn:aws:iam::${ACCOUNT_ID}:server-certificate/**`,
    });
    expect(ownerLookup({ tagKeys: KEYS, patterns: [] }, inventory)(aServerCertificate())).toBeUndefined();
  });

  it('gives a coverage gap about a known identity that identity’s owner', () => {
    const gap = aCoverageGap({ arn: inventory.roles[0]!.arn });
    expect(lookup(gap)).toEqual({ id: 'platform', source: 'tag:owner' });
  });

  it('without an inventory, reads only the snapshot’s own tags', () => {
    const alone = ownerLookup({ tagKeys: KEYS, patterns: [] });
    expect(alone(alice)).toEqual({ id: 'payments', source: 'tag:team' });
    expect(alone(anAccessKey({ userName: 'alice' }))).toBeUndefined();
  });
});

describe('ownership settings', () => {
  it('defaults to the owner, team and contact tags and no patterns', () => {
    expect(parseScanSettings({}, 'test').ownership).toEqual({
      tagKeys: ['owner', 'team', 'contact'],
      patterns: [],
    });
  });

  it.each([
    [{ tagKeys: [''] }, 'ownership.tagKeys.0: a tag key must not be empty'],
    [
      { patterns: [{ arn: 'arn:aws:iam::*:role/x', owner: ' ' }] },
      'ownership.patterns.0.owner: an owner id must not be empty',
    ],
    [{ patterns: [{ arn: '', owner: 'x' }] }, 'ownership.patterns.0.arn'],
    [
      { patterns: [{ arn: 'arn:aws:iam::*:role/x', owner: 'x', team: 'y' }] },
      'ownership.patterns.0: Unrecognized key: "team"',
    ],
    [{ tagkeys: ['owner'] }, 'did you mean tagKeys?'],
  ])('rejects %j naming the key', (ownership, message) => {
    expect(() => parseScanSettings({ ownership }, 'config.yaml')).toThrow(SettingsError);
    expect(() => parseScanSettings({ ownership }, 'config.yaml')).toThrow(message);
  });
});
