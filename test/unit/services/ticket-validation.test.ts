// The ITSM client: the signed request it sends (checked against an HMAC computed apart, with openssl), the
// key read from Secret Manager once and kept, and every way the endpoint can fail becoming a failed verdict.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TicketValidator } from '../../../server/services/ticket-validation';
import { ItsmClient } from '../../../server/services/itsm-client';

const QUESTION = { ticket: 'CHG-1', project: 'prod-app', role: 'roles/cloudsql.admin', requester: 'alice@example.com' };
const NOW = new Date(1700000000_000);
// printf '%s' '1700000000.{"ticket":"CHG-1",…}' | openssl dgst -sha256 -hmac 'k3y'
const EXPECTED_MAC = '306173b73e13966b2c9ef73dd20bbc0106ab8bb0c915165dd58aead8aa249195';

interface Received {
  method?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let url: string;
let respond: (req: IncomingMessage, res: ServerResponse) => void;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, headers: req.headers, body });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/validate?token=query-secret`;
});
afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
beforeEach(() => {
  received.length = 0;
  respond = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"valid": true}');
});

function validator(key = 'k3y') {
  const reads: string[] = [];
  const secrets = {
    accessText: async (name: string) => {
      reads.push(name);
      return key;
    },
  };
  return { tickets: new TicketValidator(new ItsmClient(secrets, () => NOW)), reads };
}

const endpoint = (timeoutSeconds = 5) => ({ url, secret: 'projects/p/secrets/itsm/versions/latest', timeoutSeconds });

test('POSTs the question as JSON, signed with HMAC-SHA256 of the timestamp and the body', async () => {
  const { tickets } = validator();
  expect(await tickets.check(endpoint(), QUESTION)).toEqual({ kind: 'valid' });
  expect(received).toHaveLength(1);
  expect(received[0].method).toBe('POST');
  expect(received[0].headers['content-type']).toBe('application/json');
  expect(received[0].body).toBe('{"ticket":"CHG-1","project":"prod-app","role":"roles/cloudsql.admin","requester":"alice@example.com"}');
  expect(received[0].headers['x-jit-signature']).toBe(`t=1700000000,v1=${EXPECTED_MAC}`);
});

test('reads the key once and keeps it for the next questions', async () => {
  const { tickets, reads } = validator();
  await tickets.check(endpoint(), QUESTION);
  await tickets.check(endpoint(), { ...QUESTION, ticket: 'CHG-2' });
  expect(reads).toEqual(['projects/p/secrets/itsm/versions/latest']);
});

test('a key that cannot be read fails, and is read again next time', async () => {
  let calls = 0;
  const tickets = new TicketValidator(new ItsmClient({ accessText: async () => { calls++; throw new Error('PERMISSION_DENIED reading the secret'); } }, () => NOW));
  expect(await tickets.check(endpoint(), QUESTION)).toEqual({ kind: 'failed', reason: 'the signing key could not be read: PERMISSION_DENIED reading the secret' });
  await tickets.check(endpoint(), QUESTION);
  expect(calls).toBe(2);
  expect(received).toHaveLength(0);
});

test('a refusal keeps the endpoint\'s reason, without the key', async () => {
  respond = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"valid": false, "reason": "closed; your key k3y-long is wrong"}');
  const { tickets } = validator('k3y-long');
  expect(await tickets.check(endpoint(), QUESTION)).toEqual({ kind: 'refused', reason: 'closed; your key [REDACTED] is wrong' });
});

test('an error status fails, naming the endpoint without its query string', async () => {
  respond = (_req, res) => res.writeHead(503).end('down');
  const { tickets } = validator();
  const verdict = await tickets.check(endpoint(), QUESTION);
  expect(verdict).toEqual({ kind: 'failed', reason: `${url.split('?')[0]}: it answered HTTP 503` });
  expect(JSON.stringify(verdict)).not.toContain('query-secret');
});

test('a redirect is not followed', async () => {
  respond = (_req, res) => res.writeHead(307, { location: 'https://elsewhere.example.com/' }).end();
  const { tickets } = validator();
  expect(await tickets.check(endpoint(), QUESTION)).toEqual({ kind: 'failed', reason: `${url.split('?')[0]}: it answered HTTP 307` });
  expect(received).toHaveLength(1);
});

test('an endpoint slower than the rule\'s timeout fails', async () => {
  respond = (_req, res) => setTimeout(() => res.writeHead(200).end('{"valid": true}'), 1500);
  const { tickets } = validator();
  expect(await tickets.check(endpoint(1), QUESTION)).toEqual({ kind: 'failed', reason: `${url.split('?')[0]} did not answer within 1 second` });
});

test('an endpoint nobody listens on fails', async () => {
  const { tickets } = validator();
  const closed = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  expect(await tickets.check({ ...endpoint(), url: `http://127.0.0.1:${closed}/v` }, QUESTION)).toEqual({ kind: 'failed', reason: `http://127.0.0.1:${closed}/v could not be reached (ECONNREFUSED)` });
});
