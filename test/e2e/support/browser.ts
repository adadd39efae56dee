// Headless Chromium (Debian's, driven by playwright-core) for the browser tests and the screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './web-build';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** As root in a container, without a GPU, and without Chromium's calls home (the network is closed). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Fails (never skips) without Chromium: a browser test that did not run must not pass. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}, and the browser tests need it. Install it with "apt-get install -y chromium" (.ci/run does this), or set CHROMIUM_PATH to another Chromium.`);
  }
  // playwright-core gives every launch a new, empty profile directory of its own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** Each test gets its own cookies and storage; a wait fails well within Jest's timeout, with a screenshot. */
export async function newPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const context: BrowserContext = await browser.newContext(options);
  context.setDefaultTimeout(8000);
  return context.newPage();
}

const RESULTS = path.join(ROOT, 'test-results');

/** Runs a browser test; when it fails, the page as it was goes to test-results/<name>.png. */
export async function screenshotOnFailure(page: Page, name: string, test: () => Promise<void>): Promise<void> {
  try {
    await test();
  } catch (e) {
    mkdirSync(RESULTS, { recursive: true });
    const file = path.join(RESULTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    if (e instanceof Error) e.message += `\n(screenshot: ${path.relative(ROOT, file)})`;
    throw e;
  }
}
