/**
 * Opens a report.html in a real browser (Debian's chromium, driven by
 * puppeteer-core, which downloads no browser of its own) and takes a
 * screenshot. The browser test and `npm run screenshot` (the README's
 * picture) share this code, so the picture is what the test saw.
 *
 *   npm run demo && npm run screenshot        # demo-report/report.html -> docs/report-html.png
 *   npm run screenshot -- <report.html> <out.png>
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface ScreenshotOptions {
  htmlPath: string;
  pngPath: string;
  /** A fresh profile directory; the caller owns (and removes) it. */
  userDataDir: string;
  /** A laptop screen by default. */
  width?: number;
  height?: number;
  executablePath?: string;
  /** 'print' shows the page as @media print lays it out. Default 'screen'. */
  media?: 'screen' | 'print';
}

/** What the page did while it loaded: a self-contained report has no errors and asks for nothing. */
export interface PageRecord {
  consoleErrors: string[];
  pageErrors: string[];
  /** Every request other than the page itself; each was refused. */
  otherRequests: string[];
  dialogs: string[];
  /** document.body.innerText, what a person reads. */
  text: string;
  title: string;
}

export async function screenshotReport(options: ScreenshotOptions): Promise<PageRecord> {
  const browser = await puppeteer.launch({
    executablePath: options.executablePath ?? CHROMIUM,
    headless: true,
    userDataDir: options.userDataDir,
    // No sandbox: CI runs as root, where chromium's sandbox refuses to start. The rest keeps it off the network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const record: PageRecord = { consoleErrors: [], pageErrors: [], otherRequests: [], dialogs: [], text: '', title: '' };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: options.width ?? 1366, height: options.height ?? 900 });
    await page.emulateMediaType(options.media ?? 'screen');
    const url = pathToFileURL(resolve(options.htmlPath)).href;
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.url() === url) void request.continue();
      else {
        record.otherRequests.push(request.url());
        void request.abort();
      }
    });
    page.on('console', (message) => {
      if (message.type() === 'error') record.consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => record.pageErrors.push(String(error)));
    page.on('dialog', (dialog) => {
      record.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    record.title = await page.title();
    // A string, so the type check needs no DOM library: this runs in the page, not in Node.
    record.text = String(await page.evaluate('document.body.innerText'));
    await page.screenshot({ path: options.pngPath as `${string}.png`, fullPage: true });
  } finally {
    await browser.close();
  }
  return record;
}

async function main(argv: string[]): Promise<number> {
  const htmlPath = argv[0] ?? 'demo-report/report.html';
  const pngPath = argv[1] ?? 'docs/report-html.png';
  if (!existsSync(htmlPath)) {
    process.stderr.write(`screenshot: no ${htmlPath}; run \`npm run demo\` first, or name a report.html\n`);
    return 2;
  }
  const profile = await mkdtemp(join(tmpdir(), 'report-screenshot-'));
  try {
    const page = await screenshotReport({ htmlPath, pngPath, userDataDir: profile });
    const problems = [...page.consoleErrors, ...page.pageErrors, ...page.otherRequests.map((u) => `requested ${u}`)];
    for (const p of problems) process.stderr.write(`screenshot: ${p}\n`);
    process.stdout.write(`wrote ${pngPath} from ${htmlPath}\n`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`screenshot failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
