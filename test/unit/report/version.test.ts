import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PACKAGE_TOOL } from '../../../functions/core/report';

describe('PACKAGE_TOOL', () => {
  it('names the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(PACKAGE_TOOL.version).toBe(pkg.version);
  });
});
