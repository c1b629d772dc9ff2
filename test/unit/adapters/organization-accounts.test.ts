import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  ListAccountsCommand,
  ListParentsCommand,
  OrganizationsClient,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  OrganizationAccountsReader,
  OrganizationDiscoveryError,
} from '../../../functions/adapters/aws/organization-accounts';

const organizations = mockClient(OrganizationsClient);
const client = new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 });

beforeEach(() => organizations.reset());
afterAll(() => client.destroy());

const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-workload1';
const PROD = 'ou-ab12-prodprod1';
const SANDBOX = 'ou-ab12-sandbox01';

/** Where each account and OU sits: child id -> parent id. */
const PARENTS: Record<string, string> = {
  '111111111111': ROOT,
  '222222222222': PROD,
  '333333333333': PROD,
  '444444444444': SANDBOX,
  [PROD]: WORKLOADS,
  [WORKLOADS]: ROOT,
  [SANDBOX]: ROOT,
};

function answerParents(): void {
  organizations.on(ListParentsCommand).callsFake((input: { ChildId: string }) => {
    const parent = PARENTS[input.ChildId];
    if (!parent) throw new Error(`unexpected ListParents ${input.ChildId}`);
    return { Parents: [{ Id: parent, Type: parent.startsWith('r-') ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] };
  });
}

const account = (id: string, name: string, state = 'ACTIVE') => ({
  Id: id,
  Name: name,
  Arn: `arn:aws:organizations::111111111111:account/o-abcdefghij/${id}`,
  State: state as 'ACTIVE',
  Status: (state === 'ACTIVE' ? 'ACTIVE' : 'SUSPENDED') as 'ACTIVE',
});

const parentCalls = () =>
  organizations.commandCalls(ListParentsCommand).map((call) => call.args[0].input.ChildId);

describe('OrganizationAccountsReader', () => {
  it('lists every ACTIVE account over all pages, with its parent and OU path, asking for each OU once', async () => {
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({
        Accounts: [account('333333333333', 'prod-b'), account('111111111111', 'management')],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Accounts: [
          account('222222222222', 'prod-a'),
          account('555555555555', 'closed', 'SUSPENDED'),
          account('444444444444', 'sandbox'),
        ],
      });
    answerParents();

    const accounts = await new OrganizationAccountsReader(client).listMemberAccounts();

    expect(accounts).toEqual([
      { id: '111111111111', name: 'management', parentId: ROOT, ouPath: [ROOT] },
      { id: '222222222222', name: 'prod-a', parentId: PROD, ouPath: [ROOT, WORKLOADS, PROD] },
      { id: '333333333333', name: 'prod-b', parentId: PROD, ouPath: [ROOT, WORKLOADS, PROD] },
      { id: '444444444444', name: 'sandbox', parentId: SANDBOX, ouPath: [ROOT, SANDBOX] },
    ]);
    // The paginator reuses one input object, so only the last token it sent can be read back.
    const listCalls = organizations.commandCalls(ListAccountsCommand);
    expect(listCalls).toHaveLength(2);
    expect(listCalls[1]!.args[0].input.NextToken).toBe('page-2');
    // One call per account, then one per OU: PROD and WORKLOADS once although two accounts share them.
    expect(parentCalls().sort()).toEqual(
      ['111111111111', '222222222222', '333333333333', '444444444444', PROD, WORKLOADS, SANDBOX].sort(),
    );
  });

  it('takes the older Status where State is absent', async () => {
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '111111111111', Name: 'old-shape', Status: 'ACTIVE' },
        { Id: '222222222222', Name: 'old-suspended', Status: 'SUSPENDED' },
      ],
    });
    answerParents();
    const accounts = await new OrganizationAccountsReader(client).listMemberAccounts();
    expect(accounts.map((a) => a.id)).toEqual(['111111111111']);
  });

  it('says that only the management or a delegated administrator account may list accounts', async () => {
    const denied = new AccessDeniedException({
      message: "You don't have permissions to access this resource.",
      $metadata: { httpStatusCode: 400 },
    });
    organizations.on(ListAccountsCommand).rejects(denied);
    const error = await new OrganizationAccountsReader(client).listMemberAccounts().catch((e) => e);
    expect(error).toBeInstanceOf(OrganizationDiscoveryError);
    expect(error.name).toBe('OrganizationDiscoveryError');
    expect(error.operation).toBe('organizations:ListAccounts');
    expect(error.cause).toBe(denied);
    expect(error.message).toBe(
      "could not list the organization's accounts (AccessDeniedException: You don't have permissions to access this resource): " +
        'organizations:ListAccounts answers only the management account or a delegated administrator account; ' +
        'run with credentials of one of them',
    );
    expect(organizations.commandCalls(ListParentsCommand)).toHaveLength(0);
  });

  it('says when the account is in no organization', async () => {
    organizations.on(ListAccountsCommand).rejects(
      new AWSOrganizationsNotInUseException({
        message: 'Your account is not a member of an organization.',
        $metadata: {},
      }),
    );
    await expect(new OrganizationAccountsReader(client).listMemberAccounts()).rejects.toThrow(
      /^the account of these credentials is in no organization \(AWSOrganizationsNotInUseException: .*\): there are no member accounts to scan$/,
    );
  });

  it('fails on a failed second page instead of returning the first page as the organization', async () => {
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({ Accounts: [account('111111111111', 'management')], NextToken: 'page-2' })
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    answerParents();
    await expect(new OrganizationAccountsReader(client).listMemberAccounts()).rejects.toThrow(
      "could not list the organization's accounts (TooManyRequestsException: Rate exceeded)",
    );
  });

  it('fails on a parent it cannot read, naming the OU, rather than guessing which OU filters apply', async () => {
    organizations.on(ListAccountsCommand).resolves({ Accounts: [account('222222222222', 'prod-a')] });
    organizations
      .on(ListParentsCommand, { ChildId: '222222222222' })
      .resolves({ Parents: [{ Id: PROD, Type: 'ORGANIZATIONAL_UNIT' }] })
      .on(ListParentsCommand, { ChildId: PROD })
      .rejects(new AccessDeniedException({ message: 'denied', $metadata: {} }));
    const error = await new OrganizationAccountsReader(client).listMemberAccounts().catch((e) => e);
    expect(error).toBeInstanceOf(OrganizationDiscoveryError);
    expect(error.operation).toBe('organizations:ListParents');
    expect(error.message).toContain(
      `could not read the parent of OU ${PROD} (AccessDeniedException: denied)`,
    );
  });
});
