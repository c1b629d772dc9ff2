import type { ToolInfo } from './sarif';

/**
 * The version SARIF, OCSF and Security Hub output name. Kept here, not read from package.json, so
 * the Lambda bundles and the pure core carry it too; a unit test holds it equal to package.json.
 */
export const PACKAGE_TOOL: ToolInfo = { version: '0.1.0' };
