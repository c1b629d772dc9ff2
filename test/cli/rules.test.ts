import { describe, expect, it } from 'vitest';
import { RULES } from '../../functions/core/rules';
import { runCli } from '../support/cli';

interface CatalogRule {
  id: string;
  severity: string;
  resourceKinds: string[];
  compliance: { framework: string; control: string }[];
  threshold: { name: string; default: number; value: number; min: number; max: number; unit: string } | null;
}

describe('iam-posture rules', () => {
  it('--json lists every rule with severity, threshold and compliance mappings', async () => {
    const result = await runCli(['rules', '--json']);
    expect(result.code).toBe(0);
    const { rules } = JSON.parse(result.stdout) as { rules: CatalogRule[] };
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    const byId = new Map(rules.map((r) => [r.id, r]));
    expect(byId.get('access-key-not-rotated')).toMatchObject({
      severity: 'medium',
      resourceKinds: ['access-key'],
      threshold: { name: 'accessKeyRotationDays', default: 90, value: 90, min: 1, max: 365, unit: 'days' },
      compliance: expect.arrayContaining([
        { framework: 'cis-aws-3.0', control: '1.14' },
        { framework: 'aws-fsbp', control: 'IAM.3' },
      ]),
    });
    expect(byId.get('root-access-key')).toMatchObject({ severity: 'critical', threshold: null });
  });

  it('prints a table with one line per rule', async () => {
    const result = await runCli(['rules']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RULE\s+SEVERITY\s+RESOURCE\s+THRESHOLD\s+COMPLIANCE$/);
    expect(lines).toHaveLength(RULES.length + 1);
    expect(lines.find((l) => l.startsWith('role-unused '))).toMatch(
      /medium\s+role\s+roleUnusedDays = 90 days\s+NHI1/,
    );
  });

  it('shows the thresholds a config file sets', async () => {
    const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'iam-posture-rules-'));
    try {
      await writeFile(join(dir, 'c.yaml'), 'thresholds:\n  roleUnusedDays: 30\n');
      const result = await runCli(['rules', '--json', '--config', join(dir, 'c.yaml')]);
      const { rules } = JSON.parse(result.stdout) as { rules: CatalogRule[] };
      expect(rules.find((r) => r.id === 'role-unused')?.threshold).toMatchObject({ value: 30, default: 90 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 for an unknown command', async () => {
    const result = await runCli(['rulez']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'rulez'");
  });
});
