/**
 * Debian's Chromium, driven by playwright-core, for the HTML report's browser tests. Every page
 * runs offline: any request that is not the report file itself is recorded and aborted, so a test
 * can assert the report never reached for the network. Console errors and page errors are
 * recorded too.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ReportPage {
  page: Page;
  /** URLs the page asked for besides the report file (every one of them was aborted). */
  blocked: string[];
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh browser with a fresh profile, showing nothing yet; `open` loads a report file in it. */
export async function launchOffline(): Promise<ReportPage & { open(file: string): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'iam-posture-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const blocked: string[] = [];
  const errors: string[] = [];
  let allowed = '';
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === allowed) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => {
    const url = request.url();
    if (url !== allowed && !blocked.includes(url)) blocked.push(url);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  return {
    page,
    blocked,
    errors,
    async open(file: string) {
      allowed = pathToFileURL(file).href;
      await page.goto(allowed);
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Width and height of a PNG file, read from its header; throws when the file is not a PNG. */
export async function pngSize(file: string): Promise<{ width: number; height: number; bytes: number }> {
  const data = await readFile(file);
  const signature = '89504e470d0a1a0a';
  if (data.subarray(0, 8).toString('hex') !== signature || data.subarray(12, 16).toString() !== 'IHDR') {
    throw new Error(`${file} is not a PNG file`);
  }
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), bytes: data.length };
}
