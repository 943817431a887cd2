// TLS to storage nodes the way Walrus authenticates them (DESIGN §2): a node either presents a
// certificate that is CA-valid for its hostname, or a self-signed one, which is then trusted only if its
// public key is the node's on-chain network public key (secp256r1, 33-byte compressed SEC1 point, from
// `StakingPool.node_info.network_public_key`). The official Rust client compares the certificate's whole
// SubjectPublicKeyInfo with the one built from that key; comparing the P-256 points is the same check.
// The handshake itself proves the server holds the matching private key, so a pinned key is a root of
// trust of its own: expiry and names of a self-signed certificate do not matter. One difference: once a
// key is pinned, the Rust client refuses even a CA-valid certificate with another key; this connector
// takes a CA-valid certificate as it is, pinned key or not.
import { ECDH, createPublicKey, type KeyObject } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { buildConnector } from './undici-package.ts';

/** The pinned network public key of the node at `hostPort` ("host:port", IPv6 in brackets), if any. */
export type PinLookup = (hostPort: string) => Uint8Array | undefined;

export interface PinnedTlsOptions {
  pins: PinLookup;
  /**
   * More options for undici's `buildConnector` (connect timeout, extra CA certificates, ...).
   * `rejectUnauthorized` is always false here (this connector decides after the handshake), and TLS
   * session resumption is off: a resumed session shows no peer certificate to check, and undici caches
   * sessions by host name alone, so one node's session could be offered to another on the same host.
   */
  connect?: buildConnector.BuildOptions;
}

export type PinnedTlsFailure = 'key-mismatch' | 'no-pin' | 'invalid-pin';

/** The node's TLS certificate is neither CA-valid for its host nor carries its pinned key. */
export class PinnedTlsError extends Error {
  override name = 'PinnedTlsError';
  readonly code = 'WALRUS_UNTRUSTED_NODE_CERTIFICATE';
  readonly failure: PinnedTlsFailure;
  readonly hostPort: string;
  constructor(failure: PinnedTlsFailure, hostPort: string, message: string) {
    super(message);
    this.failure = failure;
    this.hostPort = hostPort;
  }
}

/**
 * An undici connector (`new Agent({ connect })`) that offers HTTP/2 over TLS and accepts a server whose
 * certificate is CA-valid for the hostname, or else whose certificate key equals the key `pins` gives
 * for that `host:port`. Anything else: the socket is destroyed and the connect fails with a
 * `PinnedTlsError`. Plain `http:` connections pass through untouched.
 */
export function pinnedTlsConnector(options: PinnedTlsOptions): buildConnector.connector {
  const connect = buildConnector({
    allowH2: true,
    ...options.connect,
    rejectUnauthorized: false,
    maxCachedSessions: 0,
  });
  return (connectOptions, callback) => {
    connect(connectOptions, (error, socket) => {
      if (error) return callback(error, null);
      if (connectOptions.protocol !== 'https:') return callback(null, socket);
      const tlsSocket = socket as TLSSocket;
      const hostPort = formatHostPort(connectOptions.hostname, connectOptions.port || '443');
      const failure = tlsSocket.authorized ? undefined : checkPinnedKey(tlsSocket, hostPort, options.pins);
      if (failure) {
        tlsSocket.destroy();
        return callback(failure, null);
      }
      callback(null, tlsSocket);
    });
  };
}

function checkPinnedKey(socket: TLSSocket, hostPort: string, pins: PinLookup): PinnedTlsError | undefined {
  const why = socket.authorizationError ? String(socket.authorizationError) : 'not CA-valid';
  const pin = pins(hostPort);
  if (!pin) {
    return new PinnedTlsError(
      'no-pin',
      hostPort,
      `${hostPort}: the node's TLS certificate is not trusted (${why}) and no network public key is pinned for it`,
    );
  }
  let expected: KeyObject;
  try {
    expected = p256PublicKey(pin);
  } catch {
    return new PinnedTlsError(
      'invalid-pin',
      hostPort,
      `${hostPort}: the pinned network public key (${Buffer.from(pin).toString('base64')}) is not a P-256 point`,
    );
  }
  const presented = socket.getPeerX509Certificate()?.publicKey;
  if (presented?.equals(expected)) return undefined;
  return new PinnedTlsError(
    'key-mismatch',
    hostPort,
    `${hostPort}: the public key of the node's TLS certificate (${describeKey(presented)}) did not match ` +
      `its pinned network public key (${Buffer.from(pin).toString('base64')}); certificate ${why}`,
  );
}

/** A P-256 public key from its SEC1 encoding (33-byte compressed, as on chain, or 65-byte uncompressed). */
export function p256PublicKey(sec1: Uint8Array): KeyObject {
  const point = ECDH.convertKey(sec1, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** The 33-byte compressed SEC1 point of a P-256 public key: how Walrus stores network keys on chain. */
export function compressedP256(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new TypeError('not a P-256 key');
  const uncompressed = Buffer.concat([
    Buffer.of(4),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  return new Uint8Array(
    ECDH.convertKey(uncompressed, 'prime256v1', undefined, undefined, 'compressed') as Buffer,
  );
}

function describeKey(key: KeyObject | undefined): string {
  if (!key) return 'none';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return `P-256 ${Buffer.from(compressedP256(key)).toString('base64')}`;
  }
  return `${key.asymmetricKeyType ?? 'unknown'} key`;
}

/** "host:port" of a URL, the key `PinLookup` is asked with (the port defaults by scheme). */
export function hostPortOf(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.hostname}:${port}`;
}

function formatHostPort(hostname: string, port: string): string {
  const host = isIPv6(hostname) ? `[${hostname}]` : hostname.toLowerCase();
  return `${host}:${port}`;
}

/** Pins from committee members that carry a network public key (base64), keyed by their URL's `host:port`. */
export function pinsFromNodes(
  nodes: readonly { url: string; networkPublicKey?: string | undefined }[],
): PinLookup {
  const pins = new Map<string, Uint8Array>();
  for (const node of nodes) {
    const key = node.networkPublicKey;
    if (key === undefined) continue;
    pins.set(hostPortOf(node.url), new Uint8Array(Buffer.from(key, 'base64')));
  }
  return (hostPort) => pins.get(hostPort);
}
