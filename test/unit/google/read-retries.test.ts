// A read whose connection is dropped before Google answers (a kept-alive connection closed as it is
// reused, say) is read again: reads are idempotent. A read that timed out is not: the timeout is the budget.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudIdentity } from '../../../server/google/cloud-identity';
import { googleCredentials, googleEndpoints } from '../../../server/google/connection';

/**
 * A server whose first `drops` requests lose their connection without an answer (or, `silent`, get no
 * answer at all); the next are answered.
 */
async function flakyServer(drops: number, silent = false) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    if (requests <= drops) return void (silent ? undefined : req.socket.destroy());
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ memberships: [{ groupKey: { id: 'sre@example.com' } }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const timeouts = { connectMs: 5_000, readMs: 5_000, writeMs: 5_000 };

describe('reads whose connection is dropped', () => {
  test('are read again', async () => {
    const server = await flakyServer(1);
    try {
      const identity = new CloudIdentity(googleCredentials(server.url), googleEndpoints(server.url), timeouts);
      expect(await identity.directGroupsOf('alice@example.com')).toEqual(['sre@example.com']);
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('a connection dropped every time fails after the retries, as unreachable', async () => {
    const server = await flakyServer(100);
    try {
      const identity = new CloudIdentity(googleCredentials(server.url), googleEndpoints(server.url), timeouts);
      await expect(identity.directGroupsOf('alice@example.com')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      expect(server.requests()).toBe(3);
    } finally {
      await server.close();
    }
  });

  test('a read that timed out is not sent again', async () => {
    const server = await flakyServer(100, true);
    try {
      const identity = new CloudIdentity(googleCredentials(server.url), googleEndpoints(server.url), { ...timeouts, readMs: 300 });
      await expect(identity.directGroupsOf('alice@example.com')).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
