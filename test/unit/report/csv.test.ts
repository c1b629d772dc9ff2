import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, formatCsv } from '../../../functions/core/report';
import { aFinding, aReport } from './fixtures';

/** A small RFC 4180 reader, to check that what we write reads back field for field. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('formatCsv', () => {
  it('writes a header and one CRLF-terminated row per finding', () => {
    const rows = parseCsv(formatCsv(aReport([aFinding(), aFinding({ id: 'second' })])));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
  });

  it('round-trips commas, quotes and line breaks in reasons and evidence', () => {
    const finding = aFinding({
      reason: 'Secret "prod/db, primary" was\nlast rotated 200 days ago.',
      evidence: { note: 'a "quoted", value' },
    });
    const [, row] = parseCsv(formatCsv(aReport([finding])));
    const cell = (name: (typeof CSV_COLUMNS)[number]) => row![CSV_COLUMNS.indexOf(name)];
    expect(cell('reason')).toBe('Secret "prod/db, primary" was\nlast rotated 200 days ago.');
    expect(JSON.parse(cell('evidence')!)).toEqual({ note: 'a "quoted", value' });
    expect(cell('compliance')).toBe('cis-aws-3.0:1.14 aws-fsbp:IAM.3');
    expect(cell('subResource')).toBe('AKIAIOSFODNN7EXAMPLE');
    expect(cell('suppressed')).toBe('false');
  });

  it('carries the suppression of an exempted finding', () => {
    const finding = aFinding({
      suppression: { reason: 'break-glass user', owner: 'security@example.com', expires: '2025-12-31' },
    });
    const [, row] = parseCsv(formatCsv(aReport([finding])));
    expect(row!.slice(CSV_COLUMNS.indexOf('suppressed'))).toEqual([
      'true',
      'break-glass user',
      'security@example.com',
      '2025-12-31',
      '',
    ]);
  });

  it('writes the owner last, so the columns before it keep their positions', () => {
    const owned = aFinding({ owner: { id: 'team-payments', source: 'tag:Owner' } });
    const [header, row, orphan] = parseCsv(formatCsv(aReport([owned, aFinding({ id: 'orphan' })])));
    expect(header!.at(-1)).toBe('owner');
    expect(header!.indexOf('suppressionExpires')).toBe(18);
    expect(row!.at(-1)).toBe('team-payments');
    expect(orphan!.at(-1)).toBe('');
  });

  it('neutralises a resource name that is a spreadsheet formula and leaves the rest of the row as it was', () => {
    // A just-in-time profile is named by whoever creates it; its name is the sub-resource cell.
    const name = '=HYPERLINK("http://x","y")';
    const shape = (profile: string) =>
      aFinding({
        ruleId: 'jit-eligibility-unused',
        resourceType: 'jit-eligibility',
        resourceArn: 'arn:aws:iam::111122223333:role/app',
        subResource: profile,
        reason: `Eligibility for profile ${profile} of role app has not been used in 120 days.`,
        riskScore: -3,
      });
    const text = formatCsv(aReport([shape(name)]));
    const [, row] = parseCsv(text);
    const [, plain] = parseCsv(formatCsv(aReport([shape('deploy')])));
    const at = CSV_COLUMNS.indexOf('subResource');

    expect(text.split('\r\n')[1]).toContain(`,"'=HYPERLINK(""http://x"",""y"")",`);
    expect(row![at]).toBe(`'${name}`);
    expect(row!.length).toBe(CSV_COLUMNS.length);
    // Every other column is what it would be for a harmless name: the reason holds the name as
    // written (it does not start the cell), and a number stays a number.
    const others = (cells: string[]) =>
      cells.filter((_, i) => i !== at && i !== CSV_COLUMNS.indexOf('reason'));
    expect(others(row!)).toEqual(others(plain!));
    expect(row![CSV_COLUMNS.indexOf('reason')]).toBe(
      `Eligibility for profile ${name} of role app has not been used in 120 days.`,
    );
    expect(row![CSV_COLUMNS.indexOf('riskScore')]).toBe('-3');
    expect(row![CSV_COLUMNS.indexOf('resourceArn')]).toBe('arn:aws:iam::111122223333:role/app');
  });

  it('neutralises an owner taken from a tag and a suppression typed by a person', () => {
    const finding = aFinding({
      owner: { id: '@payments', source: 'tag:owner' },
      suppression: { reason: '-accepted risk', owner: '+ops', expires: '2025-12-31' },
    });
    const [, row] = parseCsv(formatCsv(aReport([finding])));
    expect(row!.slice(CSV_COLUMNS.indexOf('suppressed'))).toEqual([
      'true',
      "'-accepted risk",
      "'+ops",
      '2025-12-31',
      "'@payments",
    ]);
  });

  it('prints only the header when there are no findings', () => {
    expect(formatCsv(aReport([]))).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});
