// A minimal DER encoder for X.509 v3 certificates around RSA public keys: self-signed ones, the form Google
// publishes service-account keys in (`/service_accounts/v1/metadata/x509/…`), and the emulator's certificate
// authority with the server certificates of its front door (emulator/front-door.ts). Node can parse
// certificates but not create them.
import { createHash, sign, type KeyObject } from 'node:crypto';

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const NULL = Buffer.from([0x05, 0x00]);

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps the sign bit clear). */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b = b.subarray(1);
  return tlv(0x02, b[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 requires. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), NULL);

const nameOf = (commonName: string) => sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))));

/** keyUsage bits, numbered from the most significant bit of the first byte (RFC 5280 §4.2.1.3). */
function keyUsage(...bitNumbers: number[]): Buffer {
  const byte = bitNumbers.reduce((b, n) => b | (0x80 >> n), 0);
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return sequence(oid('2.5.29.15'), bool(true), octets(tlv(0x03, Buffer.from([unused, byte]))));
}

interface CertificateRequest {
  subject: string;
  publicKey: KeyObject;
  /** Who signs: the subject itself (self-signed) or a certificate authority. */
  issuer: { commonName: string; privateKey: KeyObject };
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function certificate(r: CertificateRequest): string {
  const spki = r.publicKey.export({ type: 'spki', format: 'der' });
  // Deterministic per key, so the same key always yields the same certificate serial.
  const serial = createHash('sha1').update(spki).digest().subarray(0, 16);
  serial[0] &= 0x7f;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    SHA256_WITH_RSA,
    nameOf(r.issuer.commonName),
    sequence(time(r.notBefore), time(r.notAfter)),
    nameOf(r.subject),
    spki,
    explicit(3, sequence(...r.extensions)),
  );
  const der = sequence(tbs, SHA256_WITH_RSA, bits(sign('sha256', tbs, r.issuer.privateKey)));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** A self-signed certificate, PEM-encoded, with subject and issuer `CN=<commonName>`, for signing (clientAuth). */
export function selfSignedCertificate(commonName: string, publicKey: KeyObject, privateKey: KeyObject, notBefore: Date, notAfter: Date): string {
  return certificate({
    subject: commonName,
    publicKey,
    issuer: { commonName, privateKey },
    notBefore,
    notAfter,
    extensions: [
      sequence(oid('2.5.29.19'), bool(true), octets(sequence())), // basicConstraints: not a CA
      keyUsage(0), // digitalSignature
      sequence(oid('2.5.29.37'), octets(sequence(oid('1.3.6.1.5.5.7.3.2')))), // extKeyUsage: clientAuth
    ],
  });
}

/** A self-signed root certificate authority that may sign server certificates (no intermediates). */
export function certificateAuthority(commonName: string, publicKey: KeyObject, privateKey: KeyObject, notBefore: Date, notAfter: Date): string {
  return certificate({
    subject: commonName,
    publicKey,
    issuer: { commonName, privateKey },
    notBefore,
    notAfter,
    extensions: [
      sequence(oid('2.5.29.19'), bool(true), octets(sequence(bool(true), integer(Buffer.from([0]))))), // basicConstraints: CA, path length 0
      keyUsage(5, 6), // keyCertSign, cRLSign
    ],
  });
}

/** A TLS server certificate for these host names, signed by a certificate authority. */
export function serverCertificate(hostNames: readonly string[], publicKey: KeyObject, issuer: { commonName: string; privateKey: KeyObject }, notBefore: Date, notAfter: Date): string {
  return certificate({
    subject: hostNames[0],
    publicKey,
    issuer,
    notBefore,
    notAfter,
    extensions: [
      sequence(oid('2.5.29.19'), bool(true), octets(sequence())), // basicConstraints: not a CA
      keyUsage(0, 2), // digitalSignature, keyEncipherment
      sequence(oid('2.5.29.37'), octets(sequence(oid('1.3.6.1.5.5.7.3.1')))), // extKeyUsage: serverAuth
      sequence(oid('2.5.29.17'), octets(sequence(...hostNames.map((h) => tlv(0x82, Buffer.from(h, 'ascii')))))), // subjectAltName: dNSName
    ],
  });
}
