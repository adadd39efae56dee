// The emulator's front door for clients that cannot be pointed at it: an HTTPS proxy (`HTTPS_PROXY`) that
// answers for Google's own host names. gtoken (google-auth-library's service-account client) always posts
// to https://oauth2.googleapis.com/token, whatever the key file's token_uri says; with HTTPS_PROXY set to the
// emulator and its certificate authority trusted (NODE_EXTRA_CA_CERTS), that request reaches the emulator
// unchanged. CONNECT to any other host is refused: the emulator never tunnels to the internet.
import { generateKeyPair } from 'node:crypto';
import http, { type IncomingMessage, type RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { Route } from './http';
import { certificateAuthority, serverCertificate } from './x509';

const generateRsaKeyPair = promisify(generateKeyPair);

/** The Google hosts the front door answers for. */
export const FRONT_DOOR_HOSTS = ['oauth2.googleapis.com'] as const;
const CA_NAME = 'JIT Access emulator CA';
const DAY_MS = 86_400_000;

interface Materials {
  caCertificate: string;
  context: tls.SecureContext;
}

export class FrontDoor {
  private materials: Promise<Materials> | undefined;
  private readonly inner: http.Server;
  private readonly sockets = new Set<Duplex>();

  /** `handler` serves what arrives for the front door's hosts (only their routes, not every emulated API). */
  constructor(handler: RequestListener) {
    this.inner = http.createServer(handler);
  }

  /** A new authority and server key at every start, made on first use; certificates follow real time (TLS checks them against it). */
  private tlsMaterials(): Promise<Materials> {
    return (this.materials ??= (async () => {
      const [ca, server] = await Promise.all([1, 2].map(() => generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 })));
      const notBefore = new Date(Date.now() - DAY_MS);
      const notAfter = new Date(Date.now() + 365 * DAY_MS);
      const caCertificate = certificateAuthority(CA_NAME, ca.publicKey, ca.privateKey, notBefore, notAfter);
      const cert = serverCertificate(FRONT_DOOR_HOSTS, server.publicKey, { commonName: CA_NAME, privateKey: ca.privateKey }, notBefore, notAfter);
      const key = server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      return { caCertificate, context: tls.createSecureContext({ key, cert: cert + caCertificate }) };
    })());
  }

  /** Takes CONNECT requests on the emulator's port. */
  attach(server: http.Server): void {
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.track(socket);
      socket.on('error', () => socket.destroy());
      const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
      if (!(FRONT_DOOR_HOSTS as readonly string[]).includes(host.toLowerCase()) || port !== '443') {
        const message = `The emulator's front door answers only for ${FRONT_DOOR_HOSTS.map((h) => `${h}:443`).join(', ')}; it does not tunnel to ${req.url}. Exclude other hosts with NO_PROXY.\n`;
        socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
        return;
      }
      this.tlsMaterials().then(
        ({ context }) => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length > 0) socket.unshift(head);
          const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] });
          this.track(secure);
          secure.on('error', () => secure.destroy());
          this.inner.emit('connection', secure);
        },
        () => socket.destroy(),
      );
    });
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** The route that publishes the authority's certificate, for NODE_EXTRA_CA_CERTS and other trust stores. */
  caRoute(): Route {
    return {
      method: 'GET',
      pattern: /^\/_emulator\/front-door\/ca\.pem$/,
      api: '_emulator',
      name: '_emulator.frontDoor.ca',
      public: true,
      handler: async (_req, res) => {
        const { caCertificate } = await this.tlsMaterials();
        res.type('application/x-pem-file').send(caCertificate);
      },
    };
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
