import type { RoleSnapshot, ServiceAccess, ServiceLastAccessed, UserSnapshot } from '../model';
import { INVALID, isRecord, jsonPath, MALFORMED, type NormalizeContext, str } from './context';

/** Attaches `get-service-last-accessed-details` output to the roles and users read before. */
export function readServiceLastAccessed(ctx: NormalizeContext): void {
  const all = ctx.raw.serviceLastAccessed;
  if (!all) return;
  const principals = new Map<string, RoleSnapshot | UserSnapshot>();
  for (const role of ctx.roles) principals.set(role.arn, role);
  for (const user of ctx.users) principals.set(user.arn, user);
  const source = ctx.sources.serviceLastAccessed;
  for (const [arn, value] of Object.entries(all)) {
    const principal = principals.get(arn);
    if (!principal) continue;
    const path = jsonPath('$', arn);
    const subject = `Service last accessed data of ${principal.kind} ${principal.name}`;
    const unchecked = 'unused service permissions were not checked';
    if (!isRecord(value)) {
      ctx.gap(source, arn, MALFORMED, path, `${subject} is not an object; ${unchecked}.`);
      continue;
    }
    if (value.JobStatus !== undefined && value.JobStatus !== 'COMPLETED') {
      ctx.gap(
        source,
        arn,
        'Incomplete',
        `${path}.JobStatus`,
        `${subject} is not complete (job status ${String(value.JobStatus)}); ${unchecked}.`,
      );
      continue;
    }
    const list = value.ServicesLastAccessed;
    if (!Array.isArray(list)) {
      ctx.gap(
        source,
        arn,
        MALFORMED,
        `${path}.ServicesLastAccessed`,
        `${subject} has no ServicesLastAccessed; ${unchecked}.`,
      );
      continue;
    }
    const services: ServiceAccess[] = [];
    let valid = true;
    for (let i = 0; i < list.length && valid; i++) {
      const entry = list[i];
      const entryPath = `${path}.ServicesLastAccessed[${i}]`;
      const namespace = isRecord(entry) ? str(entry.ServiceNamespace) : undefined;
      if (!isRecord(entry) || !namespace) {
        ctx.gap(
          source,
          arn,
          MALFORMED,
          entryPath,
          `${subject} has an entry without ServiceNamespace; ${unchecked}.`,
        );
        valid = false;
        break;
      }
      const lastAuthenticatedAt = ctx.date(
        entry.LastAuthenticated,
        source,
        entryPath,
        'LastAuthenticated',
        arn,
        subject,
        unchecked,
      );
      if (lastAuthenticatedAt === INVALID) {
        valid = false;
        break;
      }
      const service: ServiceAccess = { namespace };
      const name = str(entry.ServiceName);
      if (name) service.name = name;
      if (lastAuthenticatedAt) service.lastAuthenticatedAt = lastAuthenticatedAt;
      services.push(service);
    }
    if (!valid) continue;
    const data: ServiceLastAccessed = { services };
    const generatedAt = ctx.date(
      value.JobCompletionDate,
      source,
      path,
      'JobCompletionDate',
      arn,
      subject,
      'its generation time is unknown',
    );
    if (generatedAt instanceof Date) data.generatedAt = generatedAt;
    principal.serviceLastAccessed = data;
  }
}
