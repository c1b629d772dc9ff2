import {
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListServerCertificatesCommand,
} from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IamReader } from '../../../functions/adapters/aws/iam-reader';
import { checkedPages, iamMarker, nextToken, PaginationError } from '../../../functions/adapters/aws/pages';
import { SecretsReader } from '../../../functions/adapters/aws/secrets-reader';
import { ServiceLastAccessedReader } from '../../../functions/adapters/aws/service-last-accessed';

const ACCOUNT = '111122223333';
const BOB = { userName: 'bob', arn: `arn:aws:iam::${ACCOUNT}:user/bob` };
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ci-deploy`;
/** A mock that would answer forever stops here, so a missing guard fails the test instead of hanging it. */
const RUNAWAY_CALLS = 10;

const iam = mockClient(IAMClient);
const secrets = mockClient(SecretsManagerClient);
const iamClient = new IAMClient({ region: 'us-east-1' });
const secretsClient = new SecretsManagerClient({ region: 'eu-west-1' });
const noSleep = { now: () => 0, sleep: async () => {} };

beforeEach(() => {
  iam.reset();
  secrets.reset();
});
afterAll(() => {
  iamClient.destroy();
  secretsClient.destroy();
});

/** Answers every call with `page`, until the runaway limit. */
function always<P>(page: P): () => P {
  let calls = 0;
  return () => {
    if (++calls > RUNAWAY_CALLS) throw new Error('runaway pagination');
    return page;
  };
}

const accessKey = (id: string) => ({ UserName: 'bob', AccessKeyId: id, Status: 'Active' as const });
const certificate = (name: string) => ({
  Path: '/',
  ServerCertificateName: name,
  ServerCertificateId: `ASCA${name.toUpperCase()}`,
  Arn: `arn:aws:iam::${ACCOUNT}:server-certificate/${name}`,
});

describe('listings over the SDK paginators', () => {
  it('follows ListAccessKeys markers to the last page', async () => {
    iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [accessKey('AKIA1')], IsTruncated: true, Marker: 'k2' })
      .resolvesOnce({ AccessKeyMetadata: [accessKey('AKIA2')], IsTruncated: false });
    const read = await new IamReader(iamClient).accessKeys(ACCOUNT, [BOB]);
    expect(read).toEqual({
      data: {
        bob: {
          AccessKeyMetadata: [
            { UserName: 'bob', AccessKeyId: 'AKIA1', Status: 'Active' },
            { UserName: 'bob', AccessKeyId: 'AKIA2', Status: 'Active' },
          ],
        },
      },
      gaps: [],
    });
    expect(iam.commandCalls(ListAccessKeysCommand)).toHaveLength(2);
  });

  it('follows ListServerCertificates markers to the last page', async () => {
    iam
      .on(ListServerCertificatesCommand)
      .resolvesOnce({ ServerCertificateMetadataList: [certificate('a')], IsTruncated: true, Marker: 'c2' })
      .resolvesOnce({ ServerCertificateMetadataList: [certificate('b')], IsTruncated: false });
    const read = await new IamReader(iamClient).serverCertificates(ACCOUNT);
    expect(read.gaps).toEqual([]);
    expect(read.data).toEqual({ ServerCertificateMetadataList: [certificate('a'), certificate('b')] });
    expect(iam.commandCalls(ListServerCertificatesCommand)).toHaveLength(2);
  });

  it('stops at a page marked not truncated even when it carries a marker', async () => {
    iam
      .on(ListServerCertificatesCommand)
      .callsFake(
        always({ ServerCertificateMetadataList: [certificate('a')], IsTruncated: false, Marker: 'x' }),
      );
    const read = await new IamReader(iamClient).serverCertificates(ACCOUNT);
    expect(read.data).toEqual({ ServerCertificateMetadataList: [certificate('a')] });
    expect(iam.commandCalls(ListServerCertificatesCommand)).toHaveLength(1);
  });

  it.each([
    {
      listing: 'GetAccountAuthorizationDetails',
      stub: () =>
        iam
          .on(GetAccountAuthorizationDetailsCommand)
          .callsFake(always({ UserDetailList: [{ UserName: 'bob' }], IsTruncated: true, Marker: 'same' })),
      read: () => new IamReader(iamClient).authorizationDetails(ACCOUNT),
      calls: () => iam.commandCalls(GetAccountAuthorizationDetailsCommand).length,
      data: undefined,
      gap: {
        source: 'iam:GetAccountAuthorizationDetails',
        reason: 'Page 2 is marked truncated but has no new marker; no user, group, role or policy was read.',
      },
    },
    {
      listing: 'ListAccessKeys',
      stub: () =>
        iam
          .on(ListAccessKeysCommand)
          .callsFake(always({ AccessKeyMetadata: [accessKey('AKIA1')], IsTruncated: true, Marker: 'same' })),
      read: () => new IamReader(iamClient).accessKeys(ACCOUNT, [BOB]),
      calls: () => iam.commandCalls(ListAccessKeysCommand).length,
      data: {},
      gap: {
        arn: BOB.arn,
        source: 'iam:ListAccessKeys',
        reason:
          'Page 2 is marked truncated but has no new marker; the access key ids of user bob were not read.',
      },
    },
    {
      listing: 'ListServerCertificates',
      stub: () =>
        iam
          .on(ListServerCertificatesCommand)
          .callsFake(
            always({ ServerCertificateMetadataList: [certificate('a')], IsTruncated: true, Marker: 'same' }),
          ),
      read: () => new IamReader(iamClient).serverCertificates(ACCOUNT),
      calls: () => iam.commandCalls(ListServerCertificatesCommand).length,
      data: undefined,
      gap: {
        source: 'iam:ListServerCertificates',
        reason: 'Page 2 is marked truncated but has no new marker; no server certificate was read.',
      },
    },
    {
      listing: 'ListSecrets',
      stub: () =>
        secrets.on(ListSecretsCommand).callsFake(always({ SecretList: [{ Name: 'db' }], NextToken: 'same' })),
      read: () => new SecretsReader(() => secretsClient).listSecrets(ACCOUNT, 'eu-west-1'),
      calls: () => secrets.commandCalls(ListSecretsCommand).length,
      data: undefined,
      gap: {
        source: 'secretsmanager:ListSecrets',
        detail: 'eu-west-1',
        reason: 'Page 2 is marked truncated but has no new marker; no secret in eu-west-1 was read.',
      },
    },
    {
      listing: 'GetServiceLastAccessedDetails',
      stub: () => {
        iam.on(GenerateServiceLastAccessedDetailsCommand).resolves({ JobId: 'job-1' });
        iam.on(GetServiceLastAccessedDetailsCommand).callsFake(
          always({
            JobStatus: 'COMPLETED',
            ServicesLastAccessed: [{ ServiceName: 'Amazon S3', ServiceNamespace: 's3' }],
            IsTruncated: true,
            Marker: 'same',
          }),
        );
      },
      read: () => new ServiceLastAccessedReader(iamClient, { clock: noSleep }).read(ACCOUNT, [ROLE]),
      calls: () => iam.commandCalls(GetServiceLastAccessedDetailsCommand).length,
      data: {},
      gap: {
        arn: ROLE,
        source: 'iam:GetServiceLastAccessedDetails',
        reason:
          'Page 2 is marked truncated but has no new marker; its service last accessed data was not read.',
      },
    },
  ])(
    'turns a repeated $listing marker into a Malformed gap after two calls, not an endless loop',
    async ({ stub, read, calls, data, gap }) => {
      stub();
      const result = await read();
      expect(result.data).toEqual(data);
      expect(result.gaps).toEqual([
        { kind: 'coverage-gap', arn: '', accountId: ACCOUNT, category: 'Malformed', ...gap },
      ]);
      expect(calls()).toBe(2);
    },
  );

  it('turns a truncated ListAccessKeys page without a marker into a gap instead of a short list', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey('AKIA1')], IsTruncated: true });
    const read = await new IamReader(iamClient).accessKeys(ACCOUNT, [BOB]);
    expect(read.data).toEqual({});
    expect(read.gaps.map((gap) => [gap.arn, gap.category, gap.reason])).toEqual([
      [
        BOB.arn,
        'Malformed',
        'Page 1 is marked truncated but has no new marker; the access key ids of user bob were not read.',
      ],
    ]);
  });
});

describe('checkedPages', () => {
  async function* pagesOf<P>(pages: P[], requested: number[]): AsyncGenerator<P> {
    for (const [i, page] of pages.entries()) {
      requested.push(i + 1);
      yield page;
    }
  }

  async function collect<P>(pages: AsyncIterable<P>): Promise<P[]> {
    const out: P[] = [];
    for await (const page of pages) out.push(page);
    return out;
  }

  it('requests no page after the last truncated one', async () => {
    const requested: number[] = [];
    const pages = [
      { IsTruncated: true, Marker: 'a' },
      { IsTruncated: false, Marker: 'b' },
      { IsTruncated: true, Marker: 'c' },
    ];
    expect(await collect(checkedPages(pagesOf(pages, requested), iamMarker))).toEqual(pages.slice(0, 2));
    expect(requested).toEqual([1, 2]);
  });

  it.each([
    {
      name: 'a repeated marker',
      pages: [
        { IsTruncated: true, Marker: 'a' },
        { IsTruncated: true, Marker: 'a' },
      ],
      page: 2,
    },
    {
      name: 'an earlier marker again',
      pages: [
        { IsTruncated: true, Marker: 'a' },
        { IsTruncated: true, Marker: 'b' },
        { IsTruncated: true, Marker: 'a' },
      ],
      page: 3,
    },
    { name: 'no marker', pages: [{ IsTruncated: true }], page: 1 },
  ])('throws PaginationError naming the page for $name', async ({ pages, page }) => {
    const requested: number[] = [];
    const error = await collect(checkedPages(pagesOf(pages, requested), iamMarker)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaginationError);
    expect((error as PaginationError).page).toBe(page);
    expect(requested).toHaveLength(page);
  });

  it('ends a NextToken listing at an empty token and rejects a repeated one', async () => {
    expect(
      await collect(checkedPages(pagesOf([{ NextToken: 't' }, { NextToken: '' }], []), nextToken)),
    ).toHaveLength(2);
    await expect(
      collect(checkedPages(pagesOf([{ NextToken: 't' }, { NextToken: 't' }], []), nextToken)),
    ).rejects.toThrow('Page 2 is marked truncated but has no new marker');
  });
});
