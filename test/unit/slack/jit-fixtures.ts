import type {
  ElevationApproval,
  ElevationProfile,
  ElevationRequest,
  ElevationState,
  Eligibility,
} from '../../../functions/core/jit/types';
import type { JitMessage, JitModalView } from '../../../functions/core/slack/jit-messages';
import type { JitStore } from '../../../functions/use-cases/jit-ports';

/** Slack people and the grant of the just-in-time elevation tests. */
export const JIT_TEAM = 'T0TEAM0001';
export const JIT_CHANNEL = 'C0JITCHAN1';
export const REQUESTER = 'U0REQUEST1';
export const APPROVER_A = 'U0APPROVEA';
export const APPROVER_B = 'U0APPROVEB';
export const OUTSIDER = 'U0OUTSIDER';

export const GRANT_ID = '3f2a9c1e-7b4d-4e8a-9f10-aa55bb66cc77';
export const GRANT_HASH = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/ops/deployer';

export function aProfile(overrides: Partial<ElevationProfile> = {}): ElevationProfile {
  return {
    name: 'admin',
    description: 'Full administrator access',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    eligible: ['arn:aws:iam::123456789012:role/ops/*'],
    maxMinutes: 240,
    approvers: [
      { teamId: JIT_TEAM, userId: APPROVER_A },
      { teamId: JIT_TEAM, userId: APPROVER_B },
    ],
    approvals: 2,
    breakGlass: { maxMinutes: 60 },
    ...overrides,
  };
}

/** A request for `admin` on ROLE_ARN, 1h from 10:00 on 2026-12-03, waiting for two approvals. */
export function anElevation(overrides: Partial<ElevationRequest> = {}): ElevationRequest {
  return {
    grantId: GRANT_ID,
    accountId: '123456789012',
    profile: 'admin',
    principalArn: ROLE_ARN,
    principalKind: 'role',
    requestedBy: { kind: 'slack', id: REQUESTER, teamId: JIT_TEAM },
    requestedAt: '2026-12-03T10:00:00.000Z',
    reason: 'Rotate the database credentials after incident INC-42',
    startsAt: '2026-12-03T10:00:00Z',
    endsAt: '2026-12-03T11:00:00Z',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    grantHash: GRANT_HASH,
    breakGlass: false,
    requiredApprovals: 2,
    approvals: [],
    state: 'requested',
    expiresAt: '2026-12-03T11:00:00.000Z',
    policyName: `iam-posture-jit-${GRANT_ID}`,
    ...overrides,
  };
}

/** A JitStore in memory, with the conditional writes of the real one. */
export class MemoryJitStore implements JitStore {
  readonly requests = new Map<string, ElevationRequest>();
  readonly slackWrites: { grantId: string; channel: string; ts: string }[] = [];

  constructor(initial: ElevationRequest[] = []) {
    for (const request of initial) this.requests.set(request.grantId, structuredClone(request));
  }

  async get(grantId: string) {
    const request = this.requests.get(grantId);
    return request ? structuredClone(request) : undefined;
  }
  async create(request: ElevationRequest) {
    if (this.requests.has(request.grantId)) throw new Error(`grant ${request.grantId} exists`);
    this.requests.set(request.grantId, structuredClone(request));
  }
  async transition(
    grantId: string,
    from: ElevationState,
    to: ElevationState,
    changes: Partial<ElevationRequest>,
  ) {
    const request = this.requests.get(grantId);
    if (!request || request.state !== from) return undefined;
    const next = { ...request, ...structuredClone(changes), state: to };
    this.requests.set(grantId, next);
    return structuredClone(next);
  }
  async addApproval(grantId: string, approval: ElevationApproval, expectedCount: number) {
    const request = this.requests.get(grantId);
    if (request?.state !== 'requested') return undefined;
    if (request.approvals.length !== expectedCount || request.grantHash !== approval.grantHash)
      return undefined;
    const next = { ...request, approvals: [...request.approvals, structuredClone(approval)] };
    this.requests.set(grantId, next);
    return structuredClone(next);
  }
  async setSlackMessage(grantId: string, slack: { channel: string; ts: string }) {
    const request = this.requests.get(grantId);
    if (!request) throw new Error(`no grant ${grantId}`);
    request.slack = { ...slack };
    this.slackWrites.push({ grantId, ...slack });
  }
  async listByState(state: ElevationState) {
    return [...this.requests.values()].filter((r) => r.state === state).map((r) => structuredClone(r));
  }
  async putEligibility(_e: Eligibility) {}
  async deleteEligibility() {}
  async listEligibility(_accountId: string): Promise<Eligibility[]> {
    return [];
  }
  async markEligibilityUsed() {}
}

/** A Slack messenger that records what it was asked to do. */
export class RecordingMessenger {
  readonly posts: { channel: string; message: JitMessage }[] = [];
  readonly updates: { ref: { channel: string; ts: string }; message: JitMessage }[] = [];
  readonly modals: { triggerId: string; view: JitModalView }[] = [];
  readonly ephemerals: { channel: string; userId: string; text: string }[] = [];
  failPost = false;
  private ts = 0;

  async post(channel: string, message: JitMessage) {
    if (this.failPost) throw new Error('channel_not_found');
    this.posts.push({ channel, message });
    this.ts += 1;
    return { channel, ts: `1796292000.${String(this.ts).padStart(6, '0')}` };
  }
  async update(ref: { channel: string; ts: string }, message: JitMessage) {
    this.updates.push({ ref, message });
  }
  async openModal(triggerId: string, view: JitModalView) {
    this.modals.push({ triggerId, view });
  }
  async tellUser(channel: string, userId: string, text: string) {
    this.ephemerals.push({ channel, userId, text });
  }
}
