import { describe, expect, it } from 'vitest';
import { createStatusLine } from '../../functions/adapters/status-line';

function stream(isTTY: boolean, columns = 40) {
  const writes: string[] = [];
  return { writes, isTTY, columns, write: (text: string) => writes.push(text) };
}

describe('collection progress line', () => {
  it('rewrites one line in place on a terminal, at most once per interval, and erases it when done', () => {
    const out = stream(true);
    let now = 0;
    const status = createStatusLine(out, { enabled: true, intervalMs: 100, now: () => now });
    status.update('listing access keys (1/3)');
    now = 50;
    status.update('listing access keys (2/3)');
    now = 150;
    status.update('listing access keys (3/3)');
    status.done();
    status.update('after done');
    expect(out.writes).toEqual([
      '\r\x1b[2Klisting access keys (1/3)',
      '\r\x1b[2Klisting access keys (3/3)',
      '\r\x1b[2K',
    ]);
  });

  it('shortens a line wider than the terminal', () => {
    const out = stream(true, 21);
    const status = createStatusLine(out, { enabled: true });
    status.update('authorization details: 12 page(s), 11532 entities');
    expect(out.writes).toEqual(['\r\x1b[2Kauthorization detai…']);
  });

  it('writes nothing when stderr is not a terminal', () => {
    const out = stream(false);
    const status = createStatusLine(out, { enabled: true });
    status.update('listing secrets in eu-west-1');
    status.done();
    expect(out.writes).toEqual([]);
  });

  it('writes nothing under --quiet', () => {
    const out = stream(true);
    const status = createStatusLine(out, { enabled: false });
    status.update('listing secrets in eu-west-1');
    status.done();
    expect(out.writes).toEqual([]);
  });
});
