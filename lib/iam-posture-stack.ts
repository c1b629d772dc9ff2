import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../functions/core/deploy-config';
import { FINDINGS_TABLE } from '../functions/core/findings-table';
import { jitFunctionEnvironment } from '../functions/core/jit/function-config';
import { SCAN_FUNCTION_ENV } from '../functions/core/scan-function-config';
import { centralRoleNames } from './constructs/central-roles';
import { DataKey } from './constructs/data-key';
import { FindingsEventBus } from './constructs/findings-event-bus';
import { FindingsTable } from './constructs/findings-table';
import {
  JIT_INTERACTION_TABLE_ACTIONS,
  JIT_SCAN_TABLE_ACTIONS,
  JitElevation,
} from './constructs/jit-elevation';
import { OperationalAlarms } from './constructs/operational-alarms';
import { OrgRunsBucket } from './constructs/org-runs-bucket';
import { OrganizationScan } from './constructs/organization-scan';
import { ownRolesPattern, Remediation } from './constructs/remediation';
import { ReportBucket } from './constructs/report-bucket';
import { RequestSweeper } from './constructs/request-sweeper';
import { ReviewCampaigns } from './constructs/review-campaigns';
import { ScanFunction } from './constructs/scan-function';
import { ScanSchedule } from './constructs/scan-schedule';
import { ScannerRole } from './constructs/scanner-role';
import { SecurityHubExporter, securityHubExporterRoleName } from './constructs/security-hub-exporter';
import { SlackApproval } from './constructs/slack-approval';

export interface IamPostureStackProps extends StackProps {
  config: DeployConfig;
}

/** Tag on the stack's own roles: remediation never acts on an identity carrying it. */
export const PROTECTED_TAG = { key: 'iam-posture:protected', value: 'true' } as const;

/**
 * iam-posture in one account: the findings table and its key, the findings event bus, the
 * scheduled scan with its least-privilege role, dead-letter queues and alarms. Each concern is a
 * construct; a new function joins by taking `table`, `events` and `alarms` from here.
 */
export class IamPostureStack extends Stack {
  readonly config: DeployConfig;
  readonly dataKey: DataKey;
  readonly findings: FindingsTable;
  readonly events: FindingsEventBus;
  readonly alarms: OperationalAlarms;
  readonly scannerRole: ScannerRole;
  readonly scan: ScanFunction;
  readonly schedule: ScanSchedule;
  /** Slack approval and remediation: deployed when `slackChannelId` is set. */
  readonly slack?: SlackApproval;
  readonly remediation?: Remediation;
  readonly sweeper?: RequestSweeper;
  /** Organization mode (`organization.enabled`): the runs bucket and the organization state machine. */
  readonly runs?: OrgRunsBucket;
  readonly organizationScan?: OrganizationScan;
  /** Archived scan reports (`reports.enabled`). */
  readonly reports?: ReportBucket;
  /** The Security Hub exporter: deployed when `securityHub.enabled` is set. */
  readonly securityHub?: SecurityHubExporter;
  /** Just-in-time elevation: deployed when `jit.profiles` is not empty (it needs Slack). */
  readonly jit?: JitElevation;
  /** Entitlement reviews in Slack: deployed when `reviews.enabled` is set and Slack is configured. */
  readonly reviews?: ReviewCampaigns;

  constructor(scope: Construct, id: string, props: IamPostureStackProps) {
    super(scope, id, {
      description: 'iam-posture: scheduled IAM posture scanning with findings in DynamoDB',
      ...props,
    });
    this.config = props.config;

    this.dataKey = new DataKey(this, 'DataKey');
    // Every log group of the stack, whichever construct creates it, is encrypted with this key.
    this.dataKey.encryptLogGroups(this);
    this.findings = new FindingsTable(this, 'Findings', {
      definition: FINDINGS_TABLE,
      encryptionKey: this.dataKey.key,
    });
    this.events = new FindingsEventBus(this, 'Events');
    this.alarms = new OperationalAlarms(this, 'Alarms', {
      dataKey: this.dataKey,
      ...(props.config.alarmEmail ? { email: props.config.alarmEmail } : {}),
    });

    const organization = props.config.organization.enabled ? props.config.organization : undefined;
    const organizationId = organization?.organizationId;
    if (organization && organizationId === undefined) {
      throw new Error('organization mode needs organization.organizationId');
    }
    // In organization mode member roles trust these roles by ARN, so their names are fixed.
    const roleNames = centralRoleNames(this.stackName);
    this.scannerRole = new ScannerRole(this, 'Scanner', organization ? { roleName: roleNames.scanner } : {});
    this.scan = new ScanFunction(this, 'Scan', {
      role: this.scannerRole.role,
      table: this.findings,
      bus: this.events.bus,
      config: props.config,
    });
    if (props.config.reports.enabled) {
      this.reports = new ReportBucket(this, 'Reports', {
        encryptionKey: this.dataKey.key,
        retentionDays: props.config.reports.retentionDays,
        formats: props.config.reports.formats,
      });
      this.reports.grantArchive(this.scan.function);
    }
    if (organization) {
      this.runs = new OrgRunsBucket(this, 'Runs', {
        encryptionKey: this.dataKey.key,
        expireAfterDays: props.config.resolvedTtlDays,
      });
      this.organizationScan = new OrganizationScan(this, 'Organization', {
        role: this.scannerRole.role,
        table: this.findings,
        bus: this.events.bus,
        bucket: this.runs.bucket,
        dataKey: this.dataKey.key,
        config: props.config,
      });
    }
    // In organization mode each account step archives its member account's report.
    if (this.reports && this.organizationScan) this.reports.grantArchive(this.organizationScan.scanAccount);
    this.schedule = new ScanSchedule(this, 'Schedule', {
      expression: props.config.schedule,
      target: this.organizationScan?.stateMachine ?? this.scan.function,
    });

    this.alarms.watchFunction(this.scan.function, 'Scan');
    this.alarms.watchDeadLetterQueue(this.scan.deadLetterQueue, 'Scan');
    this.alarms.watchDeadLetterQueue(this.schedule.deadLetterQueue, 'Schedule');
    if (this.organizationScan) {
      this.alarms.watchStateMachine(this.organizationScan.stateMachine, 'OrganizationScan');
      this.alarms.watchFunction(this.organizationScan.discover, 'OrgDiscover');
      this.alarms.watchFunction(this.organizationScan.scanAccount, 'OrgScanAccount');
      this.alarms.watchFunction(this.organizationScan.aggregate, 'OrgAggregate');
    }

    Tags.of(this).add(PROTECTED_TAG.key, PROTECTED_TAG.value, { includeResourceTypes: ['AWS::IAM::Role'] });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output(
      'FindingsTableName',
      this.findings.table.tableName,
      'DynamoDB table holding findings and scan records',
    );
    output('EventBusName', this.events.bus.eventBusName, 'EventBridge bus receiving findings events');
    output('EventBusArn', this.events.bus.eventBusArn, 'ARN of the findings event bus');
    output('ScanFunctionName', this.scan.function.functionName, 'Scan function (invoke it to scan now)');
    output('ScanLogGroupName', this.scan.logGroupName, 'Log group of the scan function');
    output('ScannerRoleArn', this.scannerRole.role.roleArn, 'Read-only role the scan runs with');
    output('ScheduleName', this.schedule.schedule.ref, 'EventBridge Scheduler schedule starting the scan');
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic receiving alarm notifications');
    output(
      'DataKeyArn',
      this.dataKey.key.keyArn,
      'KMS key encrypting the findings table and the alarm topic',
    );
    if (this.organizationScan && this.runs) {
      output(
        'OrganizationStateMachineArn',
        this.organizationScan.stateMachine.stateMachineArn,
        'Organization scan state machine (start an execution to scan now; input {"accounts": [...]} rescans those accounts)',
      );
      output('OrganizationRunsBucketName', this.runs.bucket.bucketName, 'S3 bucket of organization runs');
      output(
        'OrganizationLogGroupName',
        this.organizationScan.logGroup.logGroupName,
        'Log group of the organization state machine',
      );
    }

    if (this.reports) {
      output('ReportsBucketName', this.reports.bucket.bucketName, 'S3 bucket of archived scan reports');
    }
    if (props.config.securityHub.enabled) {
      const exporter = new SecurityHubExporter(this, 'SecurityHub', {
        bus: this.events.bus,
        dataKey: this.dataKey.key,
        config: props.config,
        ...(organization && organizationId !== undefined
          ? {
              organization: {
                roleName: securityHubExporterRoleName(this.stackName),
                memberImportRoleName: props.config.securityHub.memberImportRoleName,
                organizationId,
                ...(organization.externalId !== undefined ? { externalId: organization.externalId } : {}),
              },
            }
          : {}),
      });
      this.securityHub = exporter;
      this.alarms.watchFunction(exporter.function, 'SecurityHubExport');
      this.alarms.watchDeadLetterQueue(exporter.deadLetterQueue, 'SecurityHubExport');
      output(
        'SecurityHubExportFunctionName',
        exporter.function.functionName,
        'Imports findings into Security Hub',
      );
      output('SecurityHubExportQueueUrl', exporter.queue.queueUrl, 'Finding events waiting for Security Hub');
    }

    const channelId = props.config.slackChannelId;
    if (props.config.jit.profiles.length > 0 && !channelId) {
      throw new Error('jit.profiles needs slackChannelId: elevations are requested and approved in Slack');
    }
    if (channelId) {
      const slack = new SlackApproval(this, 'Slack', {
        table: this.findings,
        bus: this.events.bus,
        config: props.config,
        channelId,
        ownArns: [ownRolesPattern(this)],
        encryptionKey: this.dataKey.key,
      });
      const remediation = new Remediation(this, 'Remediation', {
        table: this.findings,
        bus: this.events.bus,
        config: props.config,
        slack: { botToken: slack.botToken, channelId },
        ...(organization && organizationId !== undefined
          ? {
              organization: {
                roleName: roleNames.remediation,
                rollbackRoleName: roleNames.rollback,
                memberRemediationRoleName: organization.memberRemediationRoleName,
                memberRollbackRoleName: organization.memberRollbackRoleName,
                organizationId,
                ...(organization.externalId !== undefined ? { externalId: organization.externalId } : {}),
              },
            }
          : {}),
      });
      // Each finished scan is summarised in the channel, with where its report is when archived.
      new events.Rule(slack, 'ScanCompleted', {
        eventBus: this.events.bus,
        description: 'Finished scans, to the Slack notifier for a summary',
        eventPattern: { source: ['iam-posture'], detailType: ['ScanCompleted'] },
        targets: [
          new targets.LambdaFunction(slack.notify, {
            deadLetterQueue: slack.notifyDeadLetterQueue.queue,
            retryAttempts: 4,
            maxEventAge: Duration.hours(6),
          }),
        ],
      });
      this.slack = slack;
      this.remediation = remediation;
      this.sweeper = new RequestSweeper(this, 'RequestSweeper', {
        table: this.findings,
        botToken: slack.botToken,
        remediationTimeout: remediation.function.timeout ?? Duration.minutes(15),
        config: props.config,
      });
      this.alarms.watchFunction(this.sweeper.function, 'RequestSweeper');
      this.alarms.watchFunction(slack.interaction, 'SlackInteraction');
      this.alarms.watchFunction(slack.notify, 'SlackNotify');
      this.alarms.watchDeadLetterQueue(slack.notifyDeadLetterQueue, 'SlackNotify');
      this.alarms.watchFunction(remediation.function, 'Remediation');
      this.alarms.watchDeadLetterQueue(remediation.deadLetterQueue, 'Remediation');
      this.alarms.watchFunction(remediation.rollbackFunction, 'Rollback');
      this.alarms.watchDeadLetterQueue(remediation.rollbackDeadLetterQueue, 'Rollback');
      if (props.config.jit.profiles.length > 0) {
        const jitEnvironment = jitFunctionEnvironment({
          ...props.config.jit,
          channelId: props.config.jit.channelId ?? channelId,
        });
        this.jit = new JitElevation(this, 'Jit', {
          table: this.findings,
          bus: this.events.bus,
          alarms: this.alarms,
          profiles: props.config.jit.profiles,
          jitEnvironment,
          botToken: slack.botToken,
          ownRoles: [ownRolesPattern(this)],
          config: props.config,
        });
        // The endpoint takes /elevate, the request modal and the votes: it stores requests, reads
        // eligibilities and what a request checks in IAM (reads only), and hands grants and early
        // revokes to the JIT function by event.
        for (const [name, value] of Object.entries(jitEnvironment))
          slack.interaction.addEnvironment(name, value);
        this.findings.grantItemAccess(slack.interactionRole, JIT_INTERACTION_TABLE_ACTIONS, {
          indexes: false,
        });
        this.jit.grantRequestReads(slack.interactionRole);
        // A standing-admin finding a profile covers is offered, planned and executed as a
        // conversion to just-in-time: the notifier and the remediation function read the profiles.
        for (const fn of [slack.notify, remediation.function]) {
          for (const [name, value] of Object.entries(jitEnvironment)) fn.addEnvironment(name, value);
        }
        // The scan reads eligibilities and break-glass elevations for the just-in-time rules.
        this.scan.function.addEnvironment(SCAN_FUNCTION_ENV.readJitState, 'true');
        this.findings.grantItemAccess(this.scannerRole.role, JIT_SCAN_TABLE_ACTIONS, { indexes: true });
        output(
          'JitFunctionName',
          this.jit.function.functionName,
          'Grants, revokes and reconciles elevations',
        );
        output(
          'JitRoleArn',
          this.jit.role.roleArn,
          'JIT role: grant inline policies on the profiles’ eligible principals only',
        );
      }
      if (props.config.reviews.enabled) {
        this.reviews = new ReviewCampaigns(this, 'Reviews', {
          table: this.findings,
          bus: this.events.bus,
          config: props.config,
          botToken: slack.botToken,
          interaction: { function: slack.interaction, role: slack.interactionRole },
          scan: { function: this.scan.function, role: this.scannerRole.role },
          ...(this.organizationScan
            ? {
                organizationScan: {
                  function: this.organizationScan.scanAccount,
                  role: this.scannerRole.role,
                },
              }
            : {}),
          channelId,
          ownArns: [ownRolesPattern(this)],
          alarms: this.alarms,
        });
        output(
          'ReviewFunctionName',
          this.reviews.function.functionName,
          'Posts entitlement reviews to Slack',
        );
      }
      output('SlackInteractionUrl', slack.interactionUrl.url, 'Slack app Interactivity Request URL');
      output('SlackSigningSecretArn', slack.signingSecret.secretArn, 'Store the Slack signing secret here');
      output('SlackBotTokenSecretArn', slack.botToken.secretArn, 'Store the Slack bot token (xoxb-...) here');
      output('RemediationFunctionName', remediation.function.functionName, 'Executes approved remediations');
      output(
        'RemediationRoleArn',
        remediation.role.roleArn,
        'Acting role: the remediation catalog actions that reduce privilege',
      );
      output(
        'RollbackFunctionName',
        remediation.rollbackFunction.functionName,
        'Restores approved rollbacks',
      );
      output(
        'RollbackRoleArn',
        remediation.rollbackRole.roleArn,
        'Rollback role: the remediation catalog actions that re-grant a recorded before-state',
      );
    }
  }
}
