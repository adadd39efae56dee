// `npm run screenshots`: runs the demo on free ports, walks through the main screens in headless
// Chromium as the demo users, and saves them to docs/images/ for the README (light, and one dark).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage } from '../test/e2e/support/browser';
import { chooseProject, signIn } from '../test/e2e/support/steps';
import { freePort } from '../test/support/free-port';

const IMAGES = path.join(__dirname, '..', '..', 'docs', 'images');
const VIEWPORT = { width: 1100, height: 720 };


interface Demo {
  url: string;
  mailbox: string;
  process: ChildProcess;
}

/** The demo exactly as `npm run demo` starts it, on ports nobody else uses. */
async function startDemo(): Promise<Demo> {
  const [port, emulatorPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const args = ['--port', String(port), '--emulator-port', String(emulatorPort), '--smtp-port', String(smtpPort)];
  const child = spawn(process.execPath, [path.join(__dirname, 'demo.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The addresses as the demo prints them, so the pictures show what a user opens.
  const printed = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops everything')) resolve(output);
    });
    child.once('exit', (code) => reject(new Error(`the demo exited with code ${code}:\n${output}`)));
  });
  const address = (label: string) => new RegExp(`${label}:\\s+(http\\S+?)/?\\s`).exec(printed)![1];
  return { url: address('Open'), mailbox: address('Mailbox'), process: child };
}

async function save(page: Page, name: string): Promise<void> {
  // Let transitions and the countdown settle, and keep the caret out of the picture.
  await page.evaluate('document.activeElement?.blur()');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(IMAGES, `${name}.png`) });
  console.log(`docs/images/${name}.png`);
}

// On staging-app the example access policy (examples/access-policy.yaml, rule `staging`) lets alice
// self-activate at any hour; prod-app's Cloud SQL is held to Berlin office hours and a change ticket.
async function selfActivation(browser: Browser, url: string): Promise<void> {
  const page = await newPage(browser, { viewport: VIEWPORT });
  await signIn(page, url, 'alice@example.com');
  await chooseProject(page, 'staging-app');
  await page.getByLabel('roles/compute.admin').check();
  await page.getByLabel('roles/compute.viewer').check();
  await page.getByRole('button', { name: 'Activate 2 roles…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Activate 2 roles' });
  await dialog.getByRole('textbox', { name: 'Justification' }).fill('INC-4711 reproduce the replica lag of the orders database');
  await dialog.getByRole('textbox', { name: 'Justification' }).blur();
  await save(page, 'activate');
  await dialog.getByRole('button', { name: 'Activate', exact: true }).click();
  await page.getByRole('heading', { name: 'Access granted' }).waitFor();
  await save(page, 'activation-result');
  await page.getByRole('link', { name: 'Back to roles' }).click();
  await page.getByRole('table', { name: 'Your eligible roles on staging-app' }).waitFor();
  await save(page, 'roles');
}

async function peerApproval(browser: Browser, demo: Demo): Promise<void> {
  const alice = await newPage(browser, { viewport: VIEWPORT });
  await signIn(alice, demo.url, 'alice@example.com');
  await chooseProject(alice, 'prod-app');
  await alice.getByLabel('roles/compute.admin').check();
  await alice.getByRole('button', { name: 'Request approval…' }).click();
  const dialog = alice.getByRole('dialog', { name: 'Request approval' });
  await dialog.getByRole('checkbox', { name: 'bob@example.com' }).check();
  await dialog.getByRole('checkbox', { name: 'carol@example.com' }).check();
  await dialog.getByRole('textbox', { name: 'Justification' }).fill('INC-4712 web tier is down, need to resize the instance group');
  await dialog.getByRole('button', { name: 'Request approval' }).click();
  await alice.getByRole('heading', { name: 'Approval requested' }).waitFor();

  const bob = await newPage(browser, { viewport: VIEWPORT });
  await bob.goto(`${demo.mailbox}?to=bob@example.com`);
  await bob.frameLocator('iframe').first().getByRole('link', { name: 'Review request' }).click();
  await bob.getByRole('button', { name: 'bob@example.com', exact: true }).click();
  await bob.getByRole('button', { name: 'Approve access for alice@example.com' }).waitFor();
  await save(bob, 'approval');
  await bob.getByRole('button', { name: 'Approve access for alice@example.com' }).click();
  await bob.getByRole('heading', { name: 'Access approved' }).waitFor();
}

async function myAccess(browser: Browser, url: string, colorScheme: 'light' | 'dark', name: string): Promise<void> {
  const page = await newPage(browser, { viewport: VIEWPORT, colorScheme });
  await signIn(page, url, 'alice@example.com', '/my-access');
  await page.getByRole('table', { name: 'Active grants' }).waitFor();
  await save(page, name);
}

async function main(): Promise<void> {
  mkdirSync(IMAGES, { recursive: true });
  const demo = await startDemo();
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    await selfActivation(browser, demo.url);
    await peerApproval(browser, demo);
    await myAccess(browser, demo.url, 'light', 'my-access');
    await myAccess(browser, demo.url, 'dark', 'my-access-dark');
  } finally {
    await browser?.close();
    demo.process.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
