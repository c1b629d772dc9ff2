import type { OcsfEvent } from '../../../functions/core/report';

/**
 * What OCSF 1.6.0 requires of a Detection Finding (class 2004), read from the ocsf/ocsf-schema
 * repository at tag 1.6.0, commit d0cd8a0fef198bf93086044e33fda6d80c74b9ef: events/base_event.json,
 * events/findings/finding.json and detection_finding.json (with the profiles they include),
 * profiles/cloud.json, dictionary.json and the objects/ files named below. Attribute names are the
 * class's and objects' own (includes resolved), so a misspelt attribute is caught too.
 */
export const SPEC = {
  version: '1.6.0',
  event: {
    required: [
      'activity_id',
      'category_uid',
      'class_uid',
      'finding_info',
      'metadata',
      'severity_id',
      'time',
      'type_uid',
    ],
    // The cloud profile (profiles/cloud.json) makes `cloud` required once the event declares it.
    requiredWithCloudProfile: ['cloud'],
    attributes: [
      'action',
      'action_id',
      'activity_id',
      'activity_name',
      'actor',
      'anomaly_analyses',
      'api',
      'assignee',
      'assignee_group',
      'attacks',
      'authorizations',
      'category_name',
      'category_uid',
      'class_name',
      'class_uid',
      'cloud',
      'comment',
      'confidence',
      'confidence_id',
      'confidence_score',
      'count',
      'device',
      'disposition',
      'disposition_id',
      'duration',
      'end_time',
      'enrichments',
      'evidences',
      'finding_info',
      'firewall_rule',
      'impact',
      'impact_id',
      'impact_score',
      'is_alert',
      'is_suspected_breach',
      'malware',
      'malware_scan_info',
      'message',
      'metadata',
      'observables',
      'osint',
      'policy',
      'priority',
      'priority_id',
      'raw_data',
      'raw_data_hash',
      'raw_data_size',
      'remediation',
      'resources',
      'risk_details',
      'risk_level',
      'risk_level_id',
      'risk_score',
      'severity',
      'severity_id',
      'src_url',
      'start_time',
      'status',
      'status_code',
      'status_detail',
      'status_id',
      'ticket',
      'tickets',
      'time',
      'timezone_offset',
      'type_name',
      'type_uid',
      'unmapped',
      'vendor_attributes',
      'verdict',
      'verdict_id',
      'vulnerabilities',
    ],
    timestamps: ['time', 'start_time', 'end_time'],
  },
  enums: {
    // finding.json adds 1-3 to base_event's 0 and 99.
    activity_id: { 0: 'Unknown', 1: 'Create', 2: 'Update', 3: 'Close', 99: 'Other' },
    category_uid: { 2: 'Findings' },
    class_uid: { 2004: 'Detection Finding' },
    severity_id: {
      0: 'Unknown',
      1: 'Informational',
      2: 'Low',
      3: 'Medium',
      4: 'High',
      5: 'Critical',
      6: 'Fatal',
      99: 'Other',
    },
    // finding.json's statuses; 0 and 99 from the dictionary.
    status_id: {
      0: 'Unknown',
      1: 'New',
      2: 'In Progress',
      3: 'Suppressed',
      4: 'Resolved',
      5: 'Archived',
      6: 'Deleted',
      99: 'Other',
    },
  } as Record<string, Record<number, string>>,
  /** Sibling caption attributes: `<x>_id` and its caption `<x>` must agree. */
  captions: {
    activity_id: 'activity_name',
    category_uid: 'category_name',
    class_uid: 'class_name',
    severity_id: 'severity',
    status_id: 'status',
  },
  objects: {
    metadata: {
      required: ['product', 'version'],
      attributes: [
        'correlation_uid',
        'data_classification',
        'data_classifications',
        'debug',
        'event_code',
        'extension',
        'extensions',
        'is_truncated',
        'labels',
        'log_level',
        'log_name',
        'log_provider',
        'log_version',
        'logged_time',
        'loggers',
        'modified_time',
        'original_time',
        'processed_time',
        'product',
        'profiles',
        'sequence',
        'tags',
        'tenant_uid',
        'transformation_info_list',
        'uid',
        'untruncated_size',
        'version',
      ],
    },
    product: {
      atLeastOne: ['name', 'uid'],
      attributes: [
        'cpe_name',
        'data_classification',
        'data_classifications',
        'feature',
        'lang',
        'name',
        'path',
        'uid',
        'url_string',
        'vendor_name',
        'version',
      ],
    },
    finding_info: {
      required: ['uid'],
      attributes: [
        'analytic',
        'attack_graph',
        'attacks',
        'created_time',
        'data_sources',
        'desc',
        'first_seen_time',
        'kill_chain',
        'last_seen_time',
        'modified_time',
        'product',
        'product_uid',
        'related_analytics',
        'related_events',
        'related_events_count',
        'src_url',
        'tags',
        'title',
        'traits',
        'types',
        'uid',
        'uid_alt',
      ],
      timestamps: ['created_time', 'first_seen_time', 'last_seen_time', 'modified_time'],
    },
    analytic: {
      required: ['type_id'],
      atLeastOne: ['name', 'uid'],
      attributes: [
        'algorithm',
        'category',
        'desc',
        'name',
        'related_analytics',
        'state',
        'state_id',
        'type',
        'type_id',
        'uid',
        'version',
      ],
      enums: { type_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99] },
    },
    cloud: {
      required: ['provider'],
      attributes: ['account', 'cloud_partition', 'org', 'project_uid', 'provider', 'region', 'zone'],
    },
    account: {
      atLeastOne: ['name', 'uid'],
      attributes: ['labels', 'name', 'tags', 'type', 'type_id', 'uid'],
      enums: { type_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 99] },
    },
    // resource_details extends _resource extends _entity.
    resource_details: {
      atLeastOne: ['name', 'uid'],
      attributes: [
        'agent_list',
        'cloud_partition',
        'criticality',
        'group',
        'hostname',
        'ip',
        'is_backed_up',
        'name',
        'namespace',
        'owner',
        'region',
        'resource_relationship',
        'role',
        'role_id',
        'version',
        'zone',
        'created_time',
        'data',
        'data_classification',
        'data_classifications',
        'labels',
        'modified_time',
        'tags',
        'type',
        'uid',
        'uid_alt',
      ],
    },
    remediation: {
      required: ['desc'],
      attributes: ['cis_controls', 'desc', 'kb_article_list', 'kb_articles', 'references'],
    },
    evidences: {
      atLeastOne: [
        'actor',
        'api',
        'connection_info',
        'data',
        'database',
        'databucket',
        'device',
        'dst_endpoint',
        'email',
        'file',
        'process',
        'query',
        'resources',
        'src_endpoint',
        'url',
        'user',
        'job',
        'script',
      ],
      attributes: [
        'actor',
        'api',
        'connection_info',
        'container',
        'data',
        'database',
        'databucket',
        'device',
        'dst_endpoint',
        'email',
        'file',
        'http_request',
        'http_response',
        'ja4_fingerprint_list',
        'job',
        'name',
        'process',
        'query',
        'resources',
        'script',
        'src_endpoint',
        'tls',
        'uid',
        'url',
        'user',
        'verdict',
        'verdict_id',
      ],
    },
    key_value_object: {
      required: ['name'],
      atLeastOne: ['value', 'values'],
      attributes: ['name', 'value', 'values'],
    },
  } as Record<
    string,
    {
      required?: string[];
      atLeastOne?: string[];
      attributes: string[];
      enums?: Record<string, number[]>;
      timestamps?: string[];
    }
  >,
};

export type Json = Record<string, unknown>;

/** Everything in an event that the pinned OCSF version does not allow; empty when it conforms. */
export function ocsfProblems(event: OcsfEvent): string[] {
  const problems: string[] = [];
  const required = [
    ...SPEC.event.required,
    ...(((event.metadata as Json | undefined)?.profiles as string[] | undefined)?.includes('cloud')
      ? SPEC.event.requiredWithCloudProfile
      : []),
  ];
  for (const name of required) if (event[name] === undefined) problems.push(`missing ${name}`);
  for (const name of Object.keys(event)) {
    if (!SPEC.event.attributes.includes(name)) problems.push(`unknown attribute ${name}`);
  }
  for (const [name, values] of Object.entries(SPEC.enums)) {
    const value = event[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value in values)) {
      problems.push(`${name} ${String(value)} is not in the enum`);
      continue;
    }
    const caption = SPEC.captions[name as keyof typeof SPEC.captions];
    if (event[caption] !== undefined && event[caption] !== values[value]) {
      problems.push(`${caption} ${String(event[caption])} does not match ${name} ${String(value)}`);
    }
  }
  if (event.type_uid !== (event.class_uid as number) * 100 + (event.activity_id as number)) {
    problems.push(`type_uid ${String(event.type_uid)} is not class_uid * 100 + activity_id`);
  }
  for (const name of SPEC.event.timestamps) {
    if (event[name] !== undefined && !Number.isInteger(event[name]))
      problems.push(`${name} is not a timestamp`);
  }
  const metadata = event.metadata as Json;
  if (metadata?.version !== SPEC.version) problems.push(`metadata.version ${String(metadata?.version)}`);
  const check = (object: string, value: unknown, where: string) => {
    const spec = SPEC.objects[object]!;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${where} is not an object`);
      return;
    }
    const record = value as Json;
    for (const name of spec.required ?? [])
      if (record[name] === undefined) problems.push(`missing ${where}.${name}`);
    if (spec.atLeastOne && !spec.atLeastOne.some((name) => record[name] !== undefined)) {
      problems.push(`${where} has none of ${spec.atLeastOne.join(', ')}`);
    }
    for (const name of Object.keys(record)) {
      if (!spec.attributes.includes(name)) problems.push(`unknown attribute ${where}.${name}`);
    }
    for (const [name, values] of Object.entries(spec.enums ?? {})) {
      if (record[name] !== undefined && !values.includes(record[name] as number)) {
        problems.push(`${where}.${name} ${String(record[name])} is not in the enum`);
      }
    }
    for (const name of spec.timestamps ?? []) {
      if (record[name] !== undefined && !Number.isInteger(record[name]))
        problems.push(`${where}.${name} is not a timestamp`);
    }
  };
  const each = (object: string, values: unknown, where: string) => {
    if (values === undefined) return;
    if (!Array.isArray(values)) {
      problems.push(`${where} is not an array`);
      return;
    }
    for (const [i, value] of values.entries()) check(object, value, `${where}[${i}]`);
  };
  if (metadata !== undefined) check('metadata', metadata, 'metadata');
  if (metadata?.product !== undefined) check('product', metadata.product, 'metadata.product');
  const info = event.finding_info as Json | undefined;
  if (info !== undefined) check('finding_info', info, 'finding_info');
  if (info?.analytic !== undefined) check('analytic', info.analytic, 'finding_info.analytic');
  each('key_value_object', info?.tags, 'finding_info.tags');
  if (event.cloud !== undefined) {
    check('cloud', event.cloud, 'cloud');
    const account = (event.cloud as Json).account;
    if (account !== undefined) check('account', account, 'cloud.account');
  }
  each('resource_details', event.resources, 'resources');
  each('evidences', event.evidences, 'evidences');
  if (event.remediation !== undefined) check('remediation', event.remediation, 'remediation');
  return problems;
}
