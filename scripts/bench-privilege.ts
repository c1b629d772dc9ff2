/**
 * Privilege-analysis benchmark: a synthetic inventory of 100,000 identities (roles, users and
 * groups sharing a pool of managed policies, plus their own inline policies), analyzed whole.
 * Measures the analyzer alone (what the engine calls to rank risk) and a scan with the three
 * privilege rules through the engine. Prints one JSON line on stdout; CPU times are reported
 * beside wall times because they are less sensitive to a busy machine.
 * Run with `npx tsx scripts/bench-privilege.ts [identities]`.
 */
import { evaluateInventory } from '../functions/core/engine';
import {
  emptyInventory,
  type GroupSnapshot,
  type InlinePolicy,
  type Inventory,
  type ManagedPolicy,
  type RoleSnapshot,
  type ServiceLastAccessed,
  type UserSnapshot,
} from '../functions/core/model';
import { parsePolicyDocument } from '../functions/core/policy/parse';
import { createPrivilegeAnalyzer } from '../functions/core/privilege';
import type { Rule } from '../functions/core/rule';
import { privilegeEscalation } from '../functions/core/rules/privilege-escalation';
import { standingAdmin } from '../functions/core/rules/standing-admin';
import { unusedServicePermissions } from '../functions/core/rules/unused-service-permissions';
import { DEFAULT_SETTINGS } from '../functions/core/settings';

const ACCOUNT = '123456789012';
const TOTAL = Number(process.argv[2] ?? 100_000);
const NOW = new Date('2025-06-01T00:00:00Z');

/** Deterministic PRNG (mulberry32), so every run analyzes the same inventory. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20250601);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const chance = (p: number) => random() < p;

const SERVICES: Record<string, string[]> = {
  s3: ['GetObject', 'PutObject', 'DeleteObject', 'ListBucket', 'GetBucketPolicy'],
  dynamodb: ['GetItem', 'PutItem', 'Query', 'Scan', 'UpdateItem', 'DeleteItem'],
  sqs: ['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'GetQueueUrl'],
  sns: ['Publish', 'Subscribe', 'ListTopics'],
  kms: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'DescribeKey'],
  logs: ['CreateLogGroup', 'CreateLogStream', 'PutLogEvents'],
  cloudwatch: ['PutMetricData', 'GetMetricData'],
  secretsmanager: ['GetSecretValue', 'DescribeSecret'],
  ssm: ['GetParameter', 'GetParameters', 'SendCommand', 'StartSession'],
  lambda: ['InvokeFunction', 'GetFunction', 'CreateFunction', 'UpdateFunctionCode'],
  ec2: ['DescribeInstances', 'RunInstances', 'StartInstances', 'StopInstances'],
  ecr: ['GetAuthorizationToken', 'BatchGetImage', 'PutImage'],
  ecs: ['RunTask', 'RegisterTaskDefinition', 'DescribeTasks'],
  cloudformation: ['DescribeStacks', 'CreateStack', 'UpdateStack'],
  iam: ['GetRole', 'ListRoles', 'PassRole', 'CreateAccessKey', 'AttachRolePolicy', 'PutRolePolicy'],
  sts: ['AssumeRole', 'GetCallerIdentity'],
};
const SERVICE_NAMES = Object.keys(SERVICES);
/**
 * How often a workload statement names each service: data and messaging services dominate,
 * compute and IAM control-plane actions are rarer (but present, so escalation is exercised).
 */
const SERVICE_WEIGHTS: Record<string, number> = {
  s3: 20,
  dynamodb: 12,
  sqs: 10,
  sns: 6,
  kms: 8,
  logs: 12,
  cloudwatch: 6,
  secretsmanager: 6,
  ssm: 4,
  lambda: 4,
  ec2: 3,
  ecr: 4,
  ecs: 2,
  cloudformation: 1,
  iam: 2,
  sts: 2,
};
const WEIGHTED_SERVICES = Object.entries(SERVICE_WEIGHTS).flatMap(([service, weight]) =>
  Array.from({ length: weight }, () => service),
);

function resourceFor(service: string, n: number): string {
  switch (service) {
    case 's3':
      return `arn:aws:s3:::bucket-${n}/*`;
    case 'dynamodb':
      return `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/table-${n}`;
    case 'sqs':
      return `arn:aws:sqs:eu-west-1:${ACCOUNT}:queue-${n}`;
    case 'iam':
      return `arn:aws:iam::${ACCOUNT}:role/app-${n}-*`;
    case 'lambda':
      return `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:fn-${n}`;
    default:
      return '*';
  }
}

/** A workload policy: a few statements over a few services, sometimes with conditions or denies. */
function workloadPolicy(): Record<string, unknown> {
  const statements: Record<string, unknown>[] = [];
  for (let i = int(1, 5); i > 0; i--) {
    const service = pick(WEIGHTED_SERVICES);
    const verbs = SERVICES[service]!;
    const actions = chance(0.15)
      ? [`${service}:*`]
      : Array.from({ length: int(1, 3) }, () => `${service}:${pick(verbs)}`);
    const statement: Record<string, unknown> = {
      Effect: chance(0.05) ? 'Deny' : 'Allow',
      Action: actions,
      Resource: chance(0.4) ? '*' : [resourceFor(service, int(1, 500)), resourceFor(service, int(1, 500))],
    };
    if (chance(0.1)) statement.Condition = { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } };
    statements.push(statement);
  }
  return { Version: '2012-10-17', Statement: statements };
}

const AWS_MANAGED: Record<string, Record<string, unknown>> = {
  AdministratorAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  PowerUserAccess: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles'],
        Resource: '*',
      },
    ],
  },
  ReadOnlyAccess: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: SERVICE_NAMES.flatMap((s) => [`${s}:Get*`, `${s}:List*`, `${s}:Describe*`]),
        Resource: '*',
      },
    ],
  },
  IAMFullAccess: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] },
  ...Object.fromEntries(
    SERVICE_NAMES.filter((s) => s !== 'iam').flatMap((s) => [
      [
        `${s}-full-access`,
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: `${s}:*`, Resource: '*' }] },
      ],
      [
        `${s}-read-only`,
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: [`${s}:Get*`, `${s}:List*`], Resource: '*' }],
        },
      ],
    ]),
  ),
};

function buildInventory(total: number): { inventory: Inventory; inlineCount: number; statements: number } {
  const inventory = emptyInventory(ACCOUNT);
  let statements = 0;
  const managedPolicy = (name: string, raw: Record<string, unknown>, awsManaged: boolean): ManagedPolicy => {
    const document = parsePolicyDocument(JSON.stringify(raw));
    statements += document.statements.length;
    const arn = awsManaged ? `arn:aws:iam::aws:policy/${name}` : `arn:aws:iam::${ACCOUNT}:policy/${name}`;
    const policy: ManagedPolicy = { arn, name, awsManaged, document };
    inventory.managedPolicies.set(arn, policy);
    return policy;
  };
  const awsPool = Object.entries(AWS_MANAGED).map(([name, raw]) => managedPolicy(name, raw, true));
  const admin = awsPool.find((p) => p.name === 'AdministratorAccess')!;
  const power = awsPool.find((p) => p.name === 'PowerUserAccess')!;
  const ordinary = awsPool.filter((p) => p !== admin && p !== power && p.name !== 'IAMFullAccess');
  const customerPool = Array.from({ length: Math.max(50, Math.round(total / 30)) }, (_, i) =>
    managedPolicy(`app-policy-${i}`, workloadPolicy(), false),
  );
  const boundaries = Array.from({ length: 5 }, (_, i) =>
    managedPolicy(
      `boundary-${i}`,
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }] },
      false,
    ),
  );
  let inlineCount = 0;
  const inlinePolicies = (max: number): InlinePolicy[] =>
    Array.from({ length: int(0, max) }, (_, i) => {
      inlineCount++;
      const document = parsePolicyDocument(JSON.stringify(workloadPolicy()));
      statements += document.statements.length;
      return { name: `inline-${i}`, document };
    });
  const attached = (min: number, max: number): ManagedPolicy[] => {
    const out = new Set<ManagedPolicy>();
    if (chance(0.01)) out.add(admin);
    if (chance(0.02)) out.add(power);
    for (let i = int(min, max); i > 0; i--) out.add(chance(0.5) ? pick(ordinary) : pick(customerPool));
    return [...out];
  };
  const sla = (policies: readonly ManagedPolicy[]): ServiceLastAccessed | undefined => {
    if (!chance(0.2)) return undefined;
    const services = new Set<string>();
    for (const p of policies)
      for (const s of p.document!.statements) for (const a of s.actions ?? []) services.add(a.split(':')[0]!);
    return {
      generatedAt: NOW,
      services: [...services].map((namespace) =>
        chance(0.3)
          ? { namespace }
          : { namespace, lastAuthenticatedAt: new Date(NOW.getTime() - int(0, 400) * 86_400_000) },
      ),
    };
  };

  const groupCount = Math.round(total * 0.02);
  const userCount = Math.round(total * 0.28);
  const roleCount = total - groupCount - userCount;
  const groups: GroupSnapshot[] = [];
  for (let i = 0; i < groupCount; i++) {
    const group: GroupSnapshot = {
      kind: 'group',
      arn: `arn:aws:iam::${ACCOUNT}:group/group-${i}`,
      accountId: ACCOUNT,
      name: `group-${i}`,
      path: '/',
      inlinePolicies: inlinePolicies(1),
      managedPolicies: attached(1, 3),
    };
    groups.push(group);
  }
  inventory.groups = groups;
  for (let i = 0; i < roleCount; i++) {
    const managedPolicies = attached(1, 4);
    const role: RoleSnapshot = {
      kind: 'role',
      arn: `arn:aws:iam::${ACCOUNT}:role/app-${i}`,
      accountId: ACCOUNT,
      name: `app-${i}`,
      path: '/',
      createdAt: new Date(NOW.getTime() - int(1, 1000) * 86_400_000),
      tags: {},
      inlinePolicies: inlinePolicies(2),
      managedPolicies,
    };
    if (chance(0.05)) role.permissionsBoundary = pick(boundaries);
    const data = sla(managedPolicies);
    if (data) role.serviceLastAccessed = data;
    inventory.roles.push(role);
  }
  for (let i = 0; i < userCount; i++) {
    const managedPolicies = attached(0, 2);
    const user: UserSnapshot = {
      kind: 'user',
      arn: `arn:aws:iam::${ACCOUNT}:user/user-${i}`,
      accountId: ACCOUNT,
      name: `user-${i}`,
      path: '/',
      isRoot: false,
      createdAt: new Date(NOW.getTime() - int(1, 1000) * 86_400_000),
      groups: Array.from({ length: int(0, 3) }, () => pick(groups)).filter(
        (g, j, all) => all.indexOf(g) === j,
      ),
      tags: {},
      inlinePolicies: inlinePolicies(1),
      managedPolicies,
    };
    if (chance(0.05)) user.permissionsBoundary = pick(boundaries);
    const data = sla(managedPolicies);
    if (data) user.serviceLastAccessed = data;
    inventory.users.push(user);
  }
  return { inventory, inlineCount, statements };
}

/** User plus system CPU time, in milliseconds: less sensitive than wall time to a busy machine. */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

const buildStart = performance.now();
const { inventory, inlineCount, statements } = buildInventory(TOTAL);
const buildMs = performance.now() - buildStart;
const principals = [...inventory.roles, ...inventory.users, ...inventory.groups];

const analyzeStart = performance.now();
const analyzeCpu = process.cpuUsage();
const analyzer = createPrivilegeAnalyzer(inventory);
let adminEquivalent = 0;
let withEscalation = 0;
for (const principal of principals) {
  const summary = analyzer(principal);
  if (summary.adminEquivalent) adminEquivalent++;
  if (summary.escalationPaths.length > 0) withEscalation++;
}
const analyzeMs = performance.now() - analyzeStart;
const analyzeCpuMs = cpuMs(process.cpuUsage(analyzeCpu));

// The scan path: the engine runs the privilege rules on every role, user and group, and ranks
// their findings with the analyzer; each principal is analyzed once on this path.
const rules: Rule[] = [standingAdmin, privilegeEscalation, unusedServicePermissions];
const scanStart = performance.now();
const scanCpu = process.cpuUsage();
const scan = evaluateInventory(inventory, {
  rules,
  settings: DEFAULT_SETTINGS,
  now: NOW,
  privilege: createPrivilegeAnalyzer(inventory),
});
const scanMs = performance.now() - scanStart;
const scanCpuMs = cpuMs(process.cpuUsage(scanCpu));
const failures: Record<string, number> = Object.fromEntries(rules.map((r) => [r.meta.id, 0]));
for (const finding of scan.findings) failures[finding.ruleId] = (failures[finding.ruleId] ?? 0) + 1;

const round = (n: number) => Math.round(n * 10) / 10;
console.log(
  JSON.stringify({
    benchmark: 'privilege',
    identities: principals.length,
    roles: inventory.roles.length,
    users: inventory.users.length,
    groups: inventory.groups.length,
    managedPolicies: inventory.managedPolicies.size,
    inlinePolicies: inlineCount,
    statements,
    buildMs: round(buildMs),
    analyzeMs: round(analyzeMs),
    analyzeCpuMs: round(analyzeCpuMs),
    scanMs: round(scanMs),
    scanCpuMs: round(scanCpuMs),
    usPerIdentity: round((analyzeMs * 1000) / principals.length),
    adminEquivalent,
    withEscalation,
    failures,
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
    node: process.version,
  }),
);
