// An audit entry written through the Logging API keeps the very time this instance gave it: the audit feed
// lists its own entries at once and recognises them later by insertId, and both must say the same time.
import { createAuditLog, type AuditEvent } from '../../server/services/audit';
import { googleCredentials } from '../../server/google/connection';
import type { RunningEmulator } from '../../emulator/server';
import { startTestEmulator } from '../support/emulator';

let emulator: RunningEmulator;
beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = 'none';
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

const event: AuditEvent = { event: 'runtime.startup', severity: 'INFO', outcome: 'success', message: 'timestamp check' };

test.each([
  // Each of these became a millisecond earlier through floating-point seconds (…05.096 → …05.095999956).
  '2025-12-01T20:05:05.096Z',
  '2025-12-01T20:05:05.001Z',
  '2023-11-14T22:13:20.007Z',
  '2025-12-01T20:05:05.000Z',
])('%s is stored exactly as written, and as the audit feed was told', async (time) => {
  const url = new URL(emulator.url);
  const told: { insertId: string; timestamp: Date }[] = [];
  const audit = createAuditLog(
    { destination: 'logging-api', logName: 'jitaccess', projectId: 'jit-host', emulator: { host: url.hostname, port: Number(url.port) }, auth: googleCredentials(emulator.url) },
    (entry) => told.push(entry),
    () => new Date(time),
  );
  audit.record(event);
  await audit.flush();
  expect(told.map((t) => t.timestamp.toISOString())).toEqual([time]);
  const stored = emulator.state.logEntries.find((e: any) => e.insertId === told[0].insertId)!;
  expect(new Date(stored.timestamp).toISOString()).toBe(time);
});
