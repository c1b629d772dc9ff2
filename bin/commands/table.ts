import { EXIT, type Io } from './io';
import { type AwsOptions, tableAwsConfig } from './options';

export interface TableCreateOptions extends AwsOptions {
  table: string;
}

/** `table create`: the findings table as the stack defines it, for scans without the stack. */
export async function tableCreateCommand(options: TableCreateOptions, io: Io): Promise<number> {
  const aws = await tableAwsConfig(options);
  const { createFindingsTableIn } = await import('../../functions/wiring/table-admin');
  const created = await createFindingsTableIn(aws, options.table);
  io.stdout.write(
    `Created findings table ${created.tableName} in region ${created.region} ` +
      `(on-demand, TTL on ${created.timeToLiveAttribute}).\n` +
      `Store scans in it with: iam-posture scan ... --table ${created.tableName} --region ${created.region}\n`,
  );
  return EXIT.ok;
}
