import { describe, expect, it } from 'vitest';
import { type CsvValue, csvField, csvRow } from '../../functions/core/csv';

describe('csvField', () => {
  it.each<[string, CsvValue, string]>([
    ['an equals sign', '=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['a plus sign', '+1+cmd', "'+1+cmd"],
    ['a minus sign', '-2+3', "'-2+3"],
    ['an at sign', '@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['a tab', '\t=1+1', "'\t=1+1"],
    ['a carriage return', '\r=1+1', `"'\r=1+1"`],
    ['a resource name that reads like a number', '-3', "'-3"],
    ['a formula character later in the text', 'a=b+c-d@e', 'a=b+c-d@e'],
  ])('prefixes text starting with %s', (_, input, expected) => {
    expect(csvField(input)).toBe(expected);
  });

  it.each<[string, CsvValue, string]>([
    ['plain text', 'deploy-bot', 'deploy-bot'],
    ['a comma', 'a,b', '"a,b"'],
    ['double quotes', 'say "hi"', '"say ""hi"""'],
    ['a line feed', 'two\nlines', '"two\nlines"'],
    ['a carriage return inside', 'cr\rhere', '"cr\rhere"'],
    ['a leading space before an equals sign', ' =1', ' =1'],
    ['an empty string', '', ''],
    ['undefined', undefined, ''],
    ['null', null, ''],
  ])('writes %s as RFC 4180 text', (_, input, expected) => {
    expect(csvField(input)).toBe(expected);
  });

  it.each<[string, CsvValue, string]>([
    ['a negative number', -3, '-3'],
    ['a negative fraction', -9.5, '-9.5'],
    ['zero', 0, '0'],
    ['a count', 310, '310'],
    ['true', true, 'true'],
    ['false', false, 'false'],
  ])('writes %s as itself, never prefixed', (_, input, expected) => {
    expect(csvField(input)).toBe(expected);
  });

  it('writes a number a spreadsheet cannot read as the text it prints', () => {
    expect(csvField(Number.NEGATIVE_INFINITY)).toBe("'-Infinity");
    expect(csvField(Number.NaN)).toBe('NaN');
  });
});

describe('csvRow', () => {
  it('encodes each cell and joins them with commas', () => {
    expect(csvRow(['-3', -3, undefined, 'a,b', '@x', false])).toBe(`'-3,-3,,"a,b",'@x,false`);
  });
});
