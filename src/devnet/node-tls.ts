// A devnet storage node's TLS identity, made the way a real node with no CA certificate makes its own
// (walrus-service `create_self_signed_certificate`): a P-256 "network" key pair, and a self-signed
// certificate for it whose subject is `<key prefix>.network.walrus.alt` and whose alternative names are
// that name and the host the node listens on. Clients trust it by pinning the key (network/transport/
// pinned-tls.ts). Kept as PEM files in the node's directory, so a restarted node presents the same
// certificate and its committee entry keeps the same key.
import { createPrivateKey, createPublicKey, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { compressedP256 } from '../network/transport/pinned-tls.ts';

export interface NodeTlsIdentity {
  /** PEM (PKCS#8) private key. */
  key: string;
  /** PEM self-signed certificate. */
  cert: string;
  /** The certificate's public key as Walrus publishes it on chain: compressed SEC1, 33 bytes. */
  networkPublicKey: Uint8Array;
}

const CERT_VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;
const OID_COMMON_NAME = '2.5.4.3';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/** The identity kept in `dir` (key.pem, cert.pem), created on first use for a node listening on `host`. */
export async function loadOrCreateNodeTls(dir: string, host: string): Promise<NodeTlsIdentity> {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  if (existsSync(keyPath) && existsSync(certPath)) {
    const key = readFileSync(keyPath, 'utf8');
    const cert = readFileSync(certPath, 'utf8');
    const privateKey = createPrivateKey(key);
    if (!new X509Certificate(cert).checkPrivateKey(privateKey)) {
      throw new Error(`${certPath} does not belong to ${keyPath}; delete both to make a new identity`);
    }
    return { key, cert, networkPublicKey: compressedP256(createPublicKey(privateKey)) };
  }
  const identity = await createNodeTls(host);
  mkdirSync(dir, { recursive: true });
  writeAtomically(keyPath, identity.key, 0o600);
  writeAtomically(certPath, identity.cert, 0o644);
  return identity;
}

export async function createNodeTls(host: string): Promise<NodeTlsIdentity> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const { subtle } = globalThis.crypto;
  const keys = await subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const networkPublicKey = compressedP256(KeyObject.from(keys.publicKey));
  const engine = new pkijs.CryptoEngine({ name: 'node', crypto: globalThis.crypto });

  const name = serverNameFromPublicKey(networkPublicKey);
  const certificate = new pkijs.Certificate();
  certificate.version = 2; // v3
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // a positive INTEGER
  serial[0]! |= 0x01; // of full length
  certificate.serialNumber = new asn1js.Integer({ valueHex: serial });
  const commonName = new pkijs.AttributeTypeAndValue({
    type: OID_COMMON_NAME,
    value: new asn1js.Utf8String({ value: name }),
  });
  certificate.subject.typesAndValues.push(commonName);
  certificate.issuer.typesAndValues.push(commonName);
  const now = Date.now();
  certificate.notBefore.value = new Date(now - 24 * 3600 * 1000);
  certificate.notAfter.value = new Date(now + CERT_VALIDITY_MS);
  const altNames = new pkijs.GeneralNames({ names: [dnsName(name), hostName(host)] });
  certificate.extensions = [
    new pkijs.Extension({
      extnID: OID_SUBJECT_ALT_NAME,
      critical: false,
      extnValue: altNames.toSchema().toBER(false),
    }),
  ];
  await certificate.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  await certificate.sign(keys.privateKey, 'SHA-256', engine);

  const der = Buffer.from(certificate.toSchema(true).toBER(false));
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  return { key: pem('PRIVATE KEY', pkcs8), cert: pem('CERTIFICATE', der), networkPublicKey };
}

/**
 * walrus `server_name_from_public_key`: the first 4 bytes of the key, each in lowercase hex without a
 * leading zero (Rust's `{:x}`), then `.network.walrus.alt`.
 */
export function serverNameFromPublicKey(networkPublicKey: Uint8Array): string {
  const prefix = [...networkPublicKey.subarray(0, 4)].map((byte) => byte.toString(16)).join('');
  return `${prefix}.network.walrus.alt`;
}

function dnsName(name: string): pkijs.GeneralName {
  return new pkijs.GeneralName({ type: 2, value: name });
}

/** A subjectAltName for the listening host: an iPAddress for IPs, else a dNSName. */
function hostName(host: string): pkijs.GeneralName {
  const family = isIP(host);
  if (family === 0) return dnsName(host);
  const bytes = family === 4 ? Buffer.from(host.split('.').map(Number)) : ipv6Bytes(host);
  return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: bytes }) });
}

function ipv6Bytes(address: string): Buffer {
  // Expand "::" and any embedded IPv4 tail, then pack eight 16-bit groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

function pem(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function writeAtomically(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}
