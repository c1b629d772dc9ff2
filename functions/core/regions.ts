import { closestName } from './suggest';

/**
 * The AWS regions iam-posture accepts by name: the commercial partition, AWS GovCloud (US) and
 * the China regions. A name outside this list is a typo or a region newer than this release;
 * either way it is rejected with the list rather than scanned as an unreachable region.
 */
export const AWS_REGIONS = [
  // aws
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'me-west-1',
  'mx-central-1',
  'sa-east-1',
  'sa-west-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  // aws-us-gov
  'us-gov-east-1',
  'us-gov-west-1',
  // aws-cn
  'cn-north-1',
  'cn-northwest-1',
] as const;

export type AwsRegion = (typeof AWS_REGIONS)[number];

export function isAwsRegion(name: string): name is AwsRegion {
  return (AWS_REGIONS as readonly string[]).includes(name);
}

/** Why `name` is not a region iam-posture knows, with the closest name and the list; undefined if it is one. */
export function regionProblem(name: string): string | undefined {
  if (isAwsRegion(name)) return undefined;
  const close = closestName(name, AWS_REGIONS);
  return (
    `"${name}" is not an AWS region${close ? ` (did you mean ${close}?)` : ''}; ` +
    `valid regions: ${AWS_REGIONS.join(', ')}`
  );
}
