import type { Command } from 'commander';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import { checkOutputFile, writeFileAtomic } from '../../functions/adapters/output-file';
import { normalize } from '../../functions/core/normalize';
import { DEFAULT_REVIEW_TIMING, REVIEW_SCOPES, type ReviewScope } from '../../functions/core/review/config';
import { evidenceCsv } from '../../functions/core/review/evidence';
import { attestationState, byOwner } from '../../functions/core/review/plan';
import type { ReviewCampaign, ReviewItem } from '../../functions/core/review/types';
import { analyzeInventory } from '../../functions/use-cases/analyze';
import type { ReviewEvents, ReviewStore } from '../../functions/use-cases/review-ports';
import { collectLive } from './collect';
import { EXIT, fail, type Io, loadSettings } from './io';
import { type AwsOptions, choiceOption, tableAwsConfig } from './options';

/**
 * `review`: entitlement review campaigns from the command line. `start` lists each owner's
 * non-human identities (from an export directory or the live account) as a campaign in the
 * findings table; `status` shows campaigns and who has answered; `export` writes a campaign's
 * evidence. Owners answer in Slack; the CLI shows and exports what they answered.
 */

export const EVIDENCE_FORMATS = ['csv', 'json'] as const;
type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

interface TableOptions extends AwsOptions {
  table?: string;
  region?: string;
}

export interface ReviewStartOptions extends TableOptions {
  scope: ReviewScope;
  export?: string;
  config?: string;
  deadlineDays?: number;
  quiet?: boolean;
}

export interface ReviewStatusOptions extends TableOptions {
  json?: boolean;
}

export interface ReviewExportOptions extends TableOptions {
  format: EvidenceFormat;
  out?: string;
}

/** The CLI publishes no events: a campaign started here is announced by the stack's own flow. */
const NO_EVENTS: ReviewEvents = { publish: async () => {} };

function tableName(options: TableOptions, io: Io): string {
  const table = options.table ?? io.env.IAM_POSTURE_TABLE;
  if (!table) fail('review needs --table NAME (or the IAM_POSTURE_TABLE environment variable)');
  return table;
}

async function openStore(options: TableOptions, io: Io): Promise<ReviewStore> {
  const table = tableName(options, io);
  const aws = await tableAwsConfig(options);
  // The AWS SDK loads only for commands that call AWS.
  const { reviewStore } = await import('../../functions/wiring/stores');
  return reviewStore(aws, table);
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!/^\d+$/.test(value) || days < 1 || days > 90) fail(`--deadline-days ${value}: expected 1 to 90 days`);
  return days;
}

export async function reviewStartCommand(options: ReviewStartOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  const store = await openStore(options, io);
  const raw = options.export
    ? await readExportDirectory(options.export)
    : (await collectLive({ ...options, region: options.region ? [options.region] : [] }, settings, io)).raw;
  const inventory = normalize(raw);
  const now = new Date();
  const report = analyzeInventory(inventory, { settings, now, posture: false });
  const open = report.findings.filter((finding) => !finding.suppression);
  const { startReviewCampaign } = await import('../../functions/use-cases/start-review-campaign');
  const { campaign, items } = await startReviewCampaign(
    {
      scope: options.scope,
      accountId: inventory.accountId,
      inventory,
      findings: open,
      startedBy: { kind: 'cli', id: io.env.USER || io.env.USERNAME || 'cli' },
      now,
      timing: {
        ...DEFAULT_REVIEW_TIMING,
        ...(options.deadlineDays ? { deadlineDays: options.deadlineDays } : {}),
      },
      ownership: settings.ownership,
      thresholds: settings.thresholds,
    },
    { store, events: NO_EVENTS },
  );
  io.stdout.write(
    `Started review campaign ${campaign.campaignId}: ${items.length} identities for ${campaign.owners.length} owners, deadline ${campaign.deadline}\n`,
  );
  for (const group of byOwner(items)) io.stdout.write(`  ${group.owner}: ${group.items.length}\n`);
  return EXIT.ok;
}

export async function reviewStatusCommand(
  campaignId: string | undefined,
  options: ReviewStatusOptions,
  io: Io,
): Promise<number> {
  const store = await openStore(options, io);
  const now = new Date();
  if (campaignId === undefined) {
    const campaigns = await store.listCampaigns();
    if (options.json) {
      io.stdout.write(`${JSON.stringify(campaigns, null, 2)}\n`);
      return EXIT.ok;
    }
    if (campaigns.length === 0) io.stdout.write('No review campaigns.\n');
    for (const campaign of campaigns) io.stdout.write(`${campaignLine(campaign, now)}\n`);
    return EXIT.ok;
  }
  const campaign = await store.getCampaign(campaignId);
  if (!campaign) fail(`no review campaign ${campaignId} in table ${tableName(options, io)}`);
  const items = await store.listItems(campaignId);
  const attestations = new Map(
    (await Promise.all(campaign.accountIds.map((account) => store.listAttestations(account))))
      .flat()
      .map((a) => [a.identityArn, a]),
  );
  const owners = byOwner(items).map(({ owner, items: list }) => {
    const answered = list.filter((item) => item.decision).length;
    return {
      owner,
      answered,
      unanswered: list.length - answered,
      overdue: overdue(campaign, list, now).length,
    };
  });
  const identities = items.map((item) => {
    const attestation = attestations.get(item.identityArn);
    const state = attestationState(attestation?.decision, now);
    return {
      owner: item.owner,
      identity: item.identityArn,
      answer: item.decision?.answer ?? 'unanswered',
      attestation: state,
      ...(state !== 'none' ? { attestedUntil: attestation!.decision.attestedUntil } : {}),
      overdue: isOverdue(campaign, item, now),
    };
  });
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ campaign, owners, identities }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`${campaignLine(campaign, now)}\n\n`);
  io.stdout.write('Owner  answered  unanswered  overdue\n');
  for (const row of owners) {
    io.stdout.write(`${row.owner}  ${row.answered}  ${row.unanswered}  ${row.overdue}\n`);
  }
  io.stdout.write('\n');
  for (const row of identities) {
    const attested =
      row.attestation === 'attested'
        ? `  attested until ${row.attestedUntil}`
        : row.attestation === 'expired'
          ? `  attestation expired ${row.attestedUntil}`
          : '';
    io.stdout.write(
      `${row.owner}  ${row.identity}  ${row.answer}${row.overdue ? ' (overdue)' : ''}${attested}\n`,
    );
  }
  return EXIT.ok;
}

function campaignLine(campaign: ReviewCampaign, now: Date): string {
  const late =
    campaign.state === 'open' && now.getTime() >= Date.parse(campaign.deadline) ? ' (past deadline)' : '';
  return `${campaign.campaignId}  ${campaign.state}${late}  scope ${campaign.scope}  ${campaign.itemCount} identities  ${campaign.owners.length} owners  deadline ${campaign.deadline}`;
}

function isOverdue(campaign: ReviewCampaign, item: ReviewItem, now: Date): boolean {
  return !item.decision && now.getTime() >= Date.parse(campaign.deadline);
}

function overdue(campaign: ReviewCampaign, items: readonly ReviewItem[], now: Date): ReviewItem[] {
  return items.filter((item) => isOverdue(campaign, item, now));
}

export async function reviewExportCommand(
  campaignId: string,
  options: ReviewExportOptions,
  io: Io,
): Promise<number> {
  if (options.out) await checkOutputFile(options.out);
  const store = await openStore(options, io);
  const { reviewEvidence, ReviewCampaignNotFoundError } = await import(
    '../../functions/use-cases/review-evidence'
  );
  let evidence: Awaited<ReturnType<typeof reviewEvidence>>;
  try {
    evidence = await reviewEvidence(campaignId, { store });
  } catch (error) {
    if (error instanceof ReviewCampaignNotFoundError)
      fail(`${error.message} in table ${tableName(options, io)}`);
    throw error;
  }
  const text =
    options.format === 'csv'
      ? evidenceCsv(evidence.rows)
      : `${JSON.stringify({ campaign: evidence.campaign, items: evidence.items }, null, 2)}\n`;
  if (options.out) {
    await writeFileAtomic(options.out, text);
    io.stderr.write(
      `iam-posture: wrote the evidence of ${evidence.rows.length} identities to ${options.out}\n`,
    );
  } else {
    io.stdout.write(text);
  }
  return EXIT.ok;
}

function tableFlags(command: Command): Command {
  return command
    .option('--table <name>', 'DynamoDB findings table (default: IAM_POSTURE_TABLE)')
    .option('--profile <name>', 'AWS profile (default: the standard credential chain)')
    .option('--region <region>', 'AWS region of the table (default: the profile or AWS_REGION)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. a local emulator (also AWS_ENDPOINT_URL)');
}

/** Adds `review start|status|export` to the command tree. */
export function addReviewCommands(program: Command, io: Io): void {
  const review = program
    .command('review')
    .description('Entitlement review campaigns: owners answer for their non-human identities.');
  tableFlags(
    review
      .command('start')
      .description('Start a review campaign of an account (an export directory, else the live account).')
      .addOption(choiceOption('--scope <scope>', 'which identities to review', REVIEW_SCOPES).default('all'))
      .option(
        '--export <dir>',
        'export directory to review (see "Export directory" in README); else the live account',
      )
      .option('--config <file>', 'settings file: ownership, thresholds, exemptions')
      .option('--deadline-days <n>', 'days owners have to answer (1..90, default 14)', parseDays)
      .option('--quiet', 'no progress line on stderr'),
  ).action(async (options: ReviewStartOptions) => {
    process.exitCode = await reviewStartCommand(options, io);
  });
  tableFlags(
    review
      .command('status')
      .description('List campaigns; with an id, per owner answered / unanswered / overdue, and attestations.')
      .argument('[campaign-id]', 'the campaign to show')
      .option('--json', 'print as JSON'),
  ).action(async (campaignId: string | undefined, options: ReviewStatusOptions) => {
    process.exitCode = await reviewStatusCommand(campaignId, options, io);
  });
  tableFlags(
    review
      .command('export')
      .description("Export a campaign's evidence: per identity who answered what, when and why.")
      .argument('<campaign-id>', 'the campaign to export')
      .addOption(choiceOption('--format <format>', 'evidence format', EVIDENCE_FORMATS).default('csv'))
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(async (campaignId: string, options: ReviewExportOptions) => {
    process.exitCode = await reviewExportCommand(campaignId, options, io);
  });
}
