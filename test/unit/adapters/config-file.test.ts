import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigFileError,
  loadScanSettings,
  parseSettingsText,
} from '../../../functions/adapters/config-file';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';

function errorOf(run: () => unknown): ConfigFileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    return error as ConfigFileError;
  }
  throw new Error('expected a ConfigFileError');
}

describe('parseSettingsText', () => {
  it('reads YAML, filling defaults', () => {
    const settings = parseSettingsText(
      [
        'thresholds:',
        '  roleUnusedDays: 60',
        'organization:',
        '  id: o-a1b2c3d4e5',
        '  accountIds: ["444455556666"]',
        'exemptions:',
        '  - ruleId: role-unused',
        '    resource: arn:aws:iam::111122223333:role/legacy-*',
        '    reason: decommissioning in Q3',
        '    owner: data@example.com',
        '    expires: 2025-09-30',
      ].join('\n'),
      'settings.yaml',
    );
    expect(settings.thresholds).toEqual({ ...DEFAULT_SETTINGS.thresholds, roleUnusedDays: 60 });
    expect(settings.organization).toEqual({ id: 'o-a1b2c3d4e5', accountIds: ['444455556666'] });
    expect(settings.exemptions[0]).toMatchObject({ ruleId: 'role-unused', expires: '2025-09-30' });
  });

  it('reads JSON, and an empty file means the defaults', () => {
    expect(parseSettingsText('{"disabledRules": ["secret-unused"]}', 'c.json').disabledRules).toEqual([
      'secret-unused',
    ]);
    expect(parseSettingsText('', 'c.yml')).toEqual(DEFAULT_SETTINGS);
  });

  it('names the file and every bad key', () => {
    const error = errorOf(() =>
      parseSettingsText(
        'thresholds:\n  roleUnusedDays: 400\norganization:\n  accountIds: ["12345"]\n',
        'c.yaml',
      ),
    );
    expect(error.file).toBe('c.yaml');
    expect(error.message).toBe(
      'config file c.yaml: thresholds.roleUnusedDays: Too big: expected number to be <=365; organization.accountIds.0: must be a 12-digit AWS account id',
    );
  });

  it('requires reason, owner and expiry on exemptions', () => {
    const error = errorOf(() =>
      parseSettingsText('{"exemptions": [{"ruleId": "*", "resource": "*"}]}', 'c.json'),
    );
    expect(error.message).toContain('exemptions.0.reason');
    expect(error.message).toContain('exemptions.0.owner');
    expect(error.message).toContain('exemptions.0.expires');
  });

  it('gives the line and column of JSON and YAML syntax errors', () => {
    expect(errorOf(() => parseSettingsText('{\n  "thresholds": {,\n}', 'c.json')).message).toMatch(
      /^config file c\.json line 2, column 18: invalid JSON/,
    );
    expect(errorOf(() => parseSettingsText('{\n  "thresholds": {', 'c.json')).message).toMatch(
      /^config file c\.json line 2, column 18: invalid JSON/,
    );
    expect(errorOf(() => parseSettingsText('thresholds:\n  roleUnusedDays: [\n', 'c.yaml')).message).toMatch(
      /^config file c\.yaml line 3, column 1: invalid YAML/,
    );
  });
});

describe('loadScanSettings', () => {
  it('reads the file, and says when it does not exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'iam-posture-config-'));
    try {
      await writeFile(join(dir, 'c.yaml'), 'thresholds:\n  secretUnusedDays: 30\n');
      expect((await loadScanSettings(join(dir, 'c.yaml'))).thresholds.secretUnusedDays).toBe(30);
      await expect(loadScanSettings(join(dir, 'nope.yaml'))).rejects.toThrow(
        `config file ${join(dir, 'nope.yaml')} does not exist`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
