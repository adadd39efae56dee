// What a browser test runs against: the emulator with its IAP proxy and mailbox, and the service
// in-process serving the built SPA, configured as the demo configures it.
import { loadConfig } from '../../../server/config';
import { startServer } from '../../../server/main';
import type { RunningEmulator } from '../../../emulator/server';
import type { World } from '../../../emulator/world';
import { demoWorld, startTestEmulator } from '../../support/emulator';
import { apiClient, mintAssertion, stackEnv, type ApiClient } from '../../support/stack';
import { ensureWebBuilt, WEB_ROOT } from './web-build';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';

export interface BrowserStack {
  emulator: RunningEmulator;
  /** The IAP proxy: the address users open. */
  url: string;
  /** The API as this user, straight to the service: for a test's preparations, not its subject. */
  as(email: string): ApiClient;
  close(): Promise<void>;
}

export const JUSTIFICATION_HINT = 'A ticket number, such as INC-1234';

/** The service's settings, or a function of the emulator for settings that name its address (chat webhooks). */
export type StackSettings = Record<string, string> | ((emulator: RunningEmulator) => Record<string, string>);

export async function startBrowserStack(env: StackSettings = {}, world: World = demoWorld()): Promise<BrowserStack> {
  ensureWebBuilt();
  process.env.METADATA_SERVER_DETECTION = 'none';
  const emulator = await startTestEmulator(world, { iapPort: 0 });
  try {
    const url = emulator.iapUrl!;
    const config = loadConfig(
      stackEnv(emulator, world, {
        PUBLIC_URL: url,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(emulator.smtpPort),
        SMTP_ENABLE_STARTTLS: 'false',
        SMTP_SENDER_ADDRESS: `jit-access@${world.organization.domain}`,
        JUSTIFICATION_PATTERN: 'INC-[0-9]+.*',
        JUSTIFICATION_HINT,
        ...(typeof env === 'function' ? env(emulator) : env),
      }),
    );
    const started = await startServer(config, undefined, WEB_ROOT);
    emulator.setUpstream(started.url);
    return {
      emulator,
      url,
      as: (email) => apiClient(started.url, () => mintAssertion(emulator, { email })),
      close: async () => {
        await started.service.audit.flush();
        await new Promise<void>((resolve) => {
          started.server.close(() => resolve());
          started.server.closeAllConnections();
        });
        await emulator.close();
      },
    };
  } catch (e) {
    await emulator.close();
    throw e;
  }
}

/**
 * Chromium and the stack for one test file, started before its tests and closed after them. The browser
 * starts first: without Chromium the file fails at once, with nothing left running.
 */
export function browserSession(options: { world?: World; env?: StackSettings } = {}): { readonly stack: BrowserStack; readonly browser: Browser } {
  let stack: BrowserStack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
    stack = await startBrowserStack(options.env, options.world);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  return {
    get stack() {
      return stack!;
    },
    get browser() {
      return browser!;
    },
  };
}
