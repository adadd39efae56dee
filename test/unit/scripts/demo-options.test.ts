// `npm run demo`'s command line and start-up failures: a wrong flag or a taken port is told in one
// line that names the flag to change and a free port, never as a stack trace.
import { createServer, type Server } from 'node:net';
import type { EmulatorEnv } from '../../../emulator/env';
import { startSmtpServer } from '../../../emulator/mailbox';
import { startEmulator } from '../../../emulator/server';
import { DemoUsageError, explainStartFailure, parseDemoArgs } from '../../../scripts/demo-options';
import { demoWorld } from '../../support/emulator';

const WORLD = 'emulator/worlds/demo.yaml';

describe('flags', () => {
  test('defaults, and every flag in both spellings', () => {
    expect(parseDemoArgs([], WORLD)).toEqual({ port: 8080, emulatorPort: 8085, smtpPort: 2525, world: WORLD });
    expect(parseDemoArgs(['--port', '9000', '--emulator-port=9001', '--smtp-port', '9002', '--world', 'w.yaml'], WORLD)).toEqual({ port: 9000, emulatorPort: 9001, smtpPort: 9002, world: 'w.yaml' });
  });

  test.each([
    [['--prot', '9000'], 'Unknown option "--prot". Usage: npm run demo -- [--port 8080] [--emulator-port 8085] [--smtp-port 2525] [--world FILE]'],
    [['9000'], 'Unknown option "9000".'],
    [['--port'], '--port needs a value.'],
    [['--port', 'http'], '--port must be a port number (1-65535), got "http".'],
    [['--smtp-port', '70000'], '--smtp-port must be a port number (1-65535), got "70000".'],
    [['--emulator-port', '8080'], '--port and --emulator-port are both 8080: each needs a port of its own.'],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseDemoArgs(args, WORLD)).toThrow(DemoUsageError);
    expect(() => parseDemoArgs(args, WORLD)).toThrow(message);
  });
});

describe('a port that is taken', () => {
  let occupied: Server;
  let port: number;
  beforeAll(async () => {
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    port = (occupied.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => occupied.close(() => resolve())));

  test("the emulator's port: names --emulator-port and a port that is free", async () => {
    const options = parseDemoArgs(['--emulator-port', String(port)], WORLD);
    const failure = await startEmulator({ world: demoWorld(), port, smtpPort: 0 }).catch((e: unknown) => e);
    const message = await explainStartFailure(failure, options);
    expect(message).toMatch(new RegExp(`^Port ${port} \\(the emulator's APIs and mailbox page\\) is in use by another program\\. Choose another with --emulator-port, for example: npm run demo -- --emulator-port (\\d+)$`));
    const suggested = Number(/(\d+)$/.exec(message!)![1]);
    expect(suggested).toBeGreaterThan(port);
    await new Promise<void>((resolve, reject) => {
      const probe = createServer().once('error', reject);
      probe.listen(suggested, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });

  test('the SMTP port: names --smtp-port (and the mailbox does not crash the process)', async () => {
    const options = parseDemoArgs(['--smtp-port', String(port)], WORLD);
    const failure = await startSmtpServer({ state: {} } as EmulatorEnv, '127.0.0.1', port).catch((e: unknown) => e);
    expect(await explainStartFailure(failure, options)).toContain(`Port ${port} (the emulator's SMTP mailbox) is in use by another program. Choose another with --smtp-port`);
  });

  test('any other failure is not dressed up as a port problem', async () => {
    expect(await explainStartFailure(new Error('boom'), parseDemoArgs([], WORLD))).toBeUndefined();
    expect(await explainStartFailure(Object.assign(new Error('in use'), { code: 'EADDRINUSE', port: 1 }), parseDemoArgs([], WORLD))).toBeUndefined();
  });
});
