/**
 * Remediation in the finding's account: the access the wiring gives for a request's account is
 * what the use cases read and act through, a refusal to reach an account is recorded on the
 * request, and iam-posture's own roles in a member account are protected there.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../../functions/core/finding';
import { planRemediation } from '../../../functions/core/remediation/plan';
import type { Actor } from '../../../functions/core/remediation/request';
import { executeRemediation, type RemediationDeps } from '../../../functions/use-cases/execute-remediation';
import type { AccountAccess, RemediationAccounts } from '../../../functions/use-cases/remediation-ports';
import { buildRemediationRequest } from '../../../functions/use-cases/remediation-request';
import { rollbackRequestedRemediation } from '../../../functions/use-cases/rollback';
import type { AwsConfig } from '../../../functions/wiring/aws';
import { type AssumeInput, accountRouter } from '../../../functions/wiring/remediation';
import { ACCOUNT, anAccessKey, aRole, aUser, findingFor, NOW, planContext } from './builders';
import {
  FakeEvents,
  FakeExecutor,
  FakeFindings,
  FakeIam,
  FakeReader,
  InMemoryRequestStore,
  type Timeline,
} from './fakes';

const APPROVER: Actor = { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM0001' };

/** Records the accounts asked for; answers with `answer`. */
class FakeAccounts implements RemediationAccounts {
  readonly asked: string[] = [];
  closed = 0;
  constructor(private readonly answer: (accountId: string) => AccountAccess) {}
  async access(accountId: string, requestId: string): Promise<AccountAccess> {
    this.asked.push(`${accountId}:${requestId}`);
    const access = this.answer(accountId);
    return access.outcome === 'ready'
      ? {
          ...access,
          close: () => {
            this.closed++;
          },
        }
      : access;
  }
}

interface Setup {
  deps: RemediationDeps;
  store: InMemoryRequestStore;
  timeline: Timeline;
  /** The account's IAM, where the change must land. */
  memberIam: FakeIam;
  memberReader: FakeReader;
  memberExecutor: FakeExecutor;
  /** The deps' own reader and executor, which must stay untouched. */
  ownReader: FakeReader;
  ownIam: FakeIam;
  finding: Finding;
  requestId: string;
}

async function setup(
  accounts: (parts: { reader: FakeReader; executor: FakeExecutor }) => RemediationAccounts,
): Promise<Setup> {
  const key = anAccessKey();
  const owner = aUser({}, [key]);
  const finding = findingFor(key, 'access-key-unused');
  const timeline: Timeline = [];
  const store = new InMemoryRequestStore(timeline);
  const memberIam = new FakeIam();
  memberIam.keys.set(key.keyId!, 'Active');
  const ownIam = new FakeIam();
  ownIam.keys.set(key.keyId!, 'Active');
  const memberReader = new FakeReader({ snapshot: key, owner }, memberIam);
  const memberExecutor = new FakeExecutor(memberIam, timeline);
  const ownReader = new FakeReader({ snapshot: key, owner }, ownIam);
  const { now: _now, ...planning } = planContext();
  const deps: RemediationDeps = {
    requests: store,
    findings: new FakeFindings(new Map([[finding.id, finding]]), timeline),
    reader: ownReader,
    executor: new FakeExecutor(ownIam, timeline),
    accounts: accounts({ reader: memberReader, executor: memberExecutor }),
    events: new FakeEvents(),
    planning,
    now: () => NOW,
  };
  const plan = planRemediation(finding, { snapshot: key, owner }, planContext());
  if (plan.outcome !== 'plan') throw new Error(plan.reason);
  const request = buildRemediationRequest({ finding, plan, requestedBy: APPROVER, now: NOW });
  await store.create(request);
  await store.transition(request.requestId, 'pending', 'approved', { approvedBy: APPROVER });
  timeline.length = 0;
  return {
    deps,
    store,
    timeline,
    memberIam,
    memberReader,
    memberExecutor,
    ownReader,
    ownIam,
    finding,
    requestId: request.requestId,
  };
}

describe('remediation through the access of the finding account', () => {
  it('reads and acts through the access given for the request account, then closes it', async () => {
    let accounts: FakeAccounts | undefined;
    const s = await setup(({ reader, executor }) => {
      accounts = new FakeAccounts(() => ({ outcome: 'ready', reader, executor, ownArns: [], close() {} }));
      return accounts;
    });
    const outcome = await executeRemediation(s.requestId, s.deps);

    expect(outcome.outcome).toBe('executed');
    expect(accounts!.asked).toEqual([`${ACCOUNT}:${s.requestId}`]);
    expect(accounts!.closed).toBe(1);
    expect(s.memberIam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Inactive');
    expect(s.ownIam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Active');
    expect(s.ownReader.reads).toBe(0);
    expect(s.memberReader.reads).toBe(2);
  });

  it('records the refusal and its reason when the account cannot be reached, and changes nothing', async () => {
    const reason =
      'The remediation role arn:aws:iam::111122223333:role/R could not be assumed (AccessDenied).';
    const s = await setup(() => new FakeAccounts(() => ({ outcome: 'refused', reason })));
    const outcome = await executeRemediation(s.requestId, s.deps);

    expect(outcome).toMatchObject({ outcome: 'refused', reason });
    expect(s.store.items.get(s.requestId)).toMatchObject({ state: 'refused', outcomeReason: reason });
    expect(s.timeline).toEqual(['store:approved->executing', 'store:executing->refused']);
    expect(s.memberReader.reads + s.ownReader.reads).toBe(0);
    expect(s.memberIam.changes + s.ownIam.changes).toBe(0);
  });

  it("protects iam-posture's own roles in the member account", async () => {
    const role = aRole({});
    const finding = findingFor(role, 'role-unused');
    const s = await setup(({ executor }) => {
      const reader = new FakeReader({ snapshot: role });
      return new FakeAccounts(() => ({
        outcome: 'ready',
        reader,
        executor,
        ownArns: [role.arn],
        close() {},
      }));
    });
    // The same request, for a role that is the member account's remediation role.
    const plan = planRemediation(finding, { snapshot: role }, planContext());
    if (plan.outcome !== 'plan') throw new Error(plan.reason);
    const request = buildRemediationRequest({ finding, plan, requestedBy: APPROVER, now: NOW });
    (s.deps.findings as FakeFindings).findings.set(finding.id, finding);
    await s.store.create(request);
    await s.store.transition(request.requestId, 'pending', 'approved', { approvedBy: APPROVER });

    const outcome = await executeRemediation(request.requestId, s.deps);
    expect(outcome).toMatchObject({ outcome: 'refused' });
    expect((outcome as { reason: string }).reason).toContain('belongs to iam-posture itself');
  });

  it('leaves a rollback requested, and says why, when the account cannot be reached', async () => {
    let reachable = true;
    const s = await setup(
      ({ reader, executor }) =>
        new FakeAccounts(() =>
          reachable
            ? { outcome: 'ready', reader, executor, ownArns: [], close() {} }
            : { outcome: 'refused', reason: 'The role could not be assumed.' },
        ),
    );
    expect((await executeRemediation(s.requestId, s.deps)).outcome).toBe('executed');
    await s.store.transition(s.requestId, 'executed', 'rollback-requested', {
      rollbackRequestedBy: APPROVER,
    });
    reachable = false;

    const outcome = await rollbackRequestedRemediation(s.requestId, s.deps);
    expect(outcome).toMatchObject({ outcome: 'failed', problems: ['The role could not be assumed.'] });
    expect(s.store.items.get(s.requestId)!.state).toBe('rollback-requested');
    expect(s.memberIam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Inactive');

    reachable = true;
    expect((await rollbackRequestedRemediation(s.requestId, s.deps)).outcome).toBe('rolled-back');
    expect(s.memberIam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Active');
  });
});

describe('accountRouter', () => {
  const sts = mockClient(STSClient);
  const own: AccountAccess = { outcome: 'refused', reason: 'own-account marker' };
  const base: AwsConfig = { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' };
  const central = async () => ({
    accountId: '999999999999',
    arn: 'arn:aws-us-gov:sts::999999999999:assumed-role/remediate/fn',
  });
  const assumed: AssumeInput[] = [];
  const assume = async (_base: AwsConfig, input: AssumeInput): Promise<AwsConfig> => {
    assumed.push(input);
    return { ...base, credentials: { accessKeyId: 'AKIAMEMBER', secretAccessKey: 's', sessionToken: 't' } };
  };

  beforeEach(() => {
    sts.reset();
    assumed.length = 0;
  });

  it("answers the function's own account with its own access", async () => {
    const router = accountRouter(base, { memberRoleName: 'IamPostureRemediation' }, central, own, assume);
    expect(await router.access('999999999999', 'req-1')).toBe(own);
    expect(assumed).toEqual([]);
  });

  it('refuses another account without a member remediation role', async () => {
    const router = accountRouter(base, {}, central, own, assume);
    expect(await router.access('111122223333', 'req-1')).toEqual({
      outcome: 'refused',
      reason:
        'The finding is in account 111122223333, the remediation function runs in account 999999999999 ' +
        'and has no member remediation role (MEMBER_REMEDIATION_ROLE_NAME is not set); nothing was changed.',
    });
    expect(assumed).toEqual([]);
  });

  it('assumes the member role in the partition of the function, naming the request, and checks the account reached', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    const router = accountRouter(
      base,
      { memberRoleName: 'IamPostureRemediation', externalId: 'ext-123' },
      central,
      own,
      assume,
    );
    const access = await router.access('111122223333', 'req-1');
    expect(assumed).toEqual([
      {
        roleArn: 'arn:aws-us-gov:iam::111122223333:role/IamPostureRemediation',
        sessionName: 'iam-posture-remediation-req-1',
        externalId: 'ext-123',
      },
    ]);
    expect(access).toMatchObject({
      outcome: 'ready',
      ownArns: ['arn:aws-us-gov:iam::111122223333:role/IamPostureRemediation'],
    });
    if (access.outcome === 'ready') access.close();
  });

  it('refuses when the assumed credentials belong to another account than the finding', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '444455556666' });
    const router = accountRouter(base, { memberRoleName: 'R' }, central, own, assume);
    expect(await router.access('111122223333', 'req-1')).toEqual({
      outcome: 'refused',
      reason:
        'Assuming arn:aws-us-gov:iam::111122223333:role/R gave credentials of account 444455556666, not 111122223333; nothing was changed.',
    });
  });

  it('turns a role that cannot be assumed, or an unknown own account, into a refusal with the reason', async () => {
    const denied = async (): Promise<AwsConfig> => {
      throw Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {
        name: 'AccessDenied',
      });
    };
    const router = accountRouter(base, { memberRoleName: 'R' }, central, own, denied);
    const refused = await router.access('111122223333', 'req-1');
    expect(refused.outcome).toBe('refused');
    expect((refused as { reason: string }).reason).toMatch(
      /^The remediation role arn:aws-us-gov:iam::111122223333:role\/R could not be assumed \(AccessDenied: User is not authorized/,
    );

    const lost = accountRouter(
      base,
      { memberRoleName: 'R' },
      async () => {
        throw new Error('no network');
      },
      own,
      assume,
    );
    expect(await lost.access('111122223333', 'req-1')).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('could not identify its own account'),
    });
  });
});
