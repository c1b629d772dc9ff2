import { describe, expect, it } from 'vitest';
import { FRAMEWORK_CATALOGS, findControl } from '../../../functions/core/compliance';
import { FRAMEWORKS, type Framework } from '../../../functions/core/rule';
import { RULES } from '../../../functions/core/rules';

const FRAMEWORK_IDS = Object.keys(FRAMEWORKS) as Framework[];

describe('framework catalogs', () => {
  it('has a catalog for every framework a rule may name, with unique ids and titles', () => {
    expect(Object.keys(FRAMEWORK_CATALOGS).sort()).toEqual([...FRAMEWORK_IDS].sort());
    for (const id of FRAMEWORK_IDS) {
      const catalog = FRAMEWORK_CATALOGS[id];
      expect(catalog.id).toBe(id);
      const ids = catalog.controls.map((control) => control.id);
      expect(new Set(ids).size, id).toBe(ids.length);
      for (const control of catalog.controls) expect(control.title.length, control.id).toBeGreaterThan(10);
    }
  });

  it('lists the identity scope of each framework', () => {
    const ids = (framework: Framework) => FRAMEWORK_CATALOGS[framework].controls.map((c) => c.id);
    expect(ids('owasp-nhi-2025')).toEqual(Array.from({ length: 10 }, (_, i) => `NHI${i + 1}`));
    expect(ids('cis-aws-3.0')).toEqual(Array.from({ length: 22 }, (_, i) => `1.${i + 1}`));
    // IAM.20 was retired by Security Hub.
    expect(ids('aws-fsbp')).toEqual([
      ...Array.from({ length: 28 }, (_, i) => `IAM.${i + 1}`).filter((id) => id !== 'IAM.20'),
      ...Array.from({ length: 5 }, (_, i) => `SecretsManager.${i + 1}`),
    ]);
    const nist = ids('nist-csf-2.0');
    expect(nist.filter((id) => id.startsWith('PR.AA-'))).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `PR.AA-0${n}`),
    );
    for (const id of nist) expect(id).toMatch(/^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$/);
  });

  it('lists no NIST subcategory outside PR.AA that no rule maps to', () => {
    const mapped = new Set(
      RULES.flatMap((rule) => rule.meta.compliance)
        .filter((ref) => ref.framework === 'nist-csf-2.0')
        .map((ref) => ref.control),
    );
    const extra = FRAMEWORK_CATALOGS['nist-csf-2.0'].controls
      .map((c) => c.id)
      .filter((id) => !id.startsWith('PR.AA-'));
    expect(extra.filter((id) => !mapped.has(id))).toEqual([]);
  });
});

describe('rule mappings', () => {
  it.each(RULES.map((rule) => [rule.meta.id, rule.meta] as const))(
    '%s maps to at least one NIST CSF 2.0 subcategory',
    (_id, meta) => {
      expect(meta.compliance.filter((ref) => ref.framework === 'nist-csf-2.0').length).toBeGreaterThan(0);
    },
  );

  it('points every reference of every rule at a control of its framework catalog', () => {
    const missing = RULES.flatMap((rule) =>
      rule.meta.compliance
        .filter((ref) => findControl(ref.framework, ref.control) === undefined)
        .map((ref) => `${rule.meta.id}: ${ref.framework} ${ref.control}`),
    );
    expect(missing).toEqual([]);
  });
});
