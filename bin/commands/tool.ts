import type { ToolInfo } from '../../functions/core/report';
import packageJson from '../../package.json';

/** iam-posture as SARIF and OCSF name the tool: this package's version, and its home when it has one. */
export const TOOL: ToolInfo = {
  version: packageJson.version,
  ...('homepage' in packageJson && typeof packageJson.homepage === 'string'
    ? { informationUri: packageJson.homepage }
    : {}),
};
