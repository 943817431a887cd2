// A guard against server-side request forgery through the committee. On testnet and mainnet the
// storage nodes' addresses come from other people's objects on chain (`StakingPool.node_info.
// network_address`): anyone who runs a node can write `127.0.0.1:6379` or `169.254.169.254:80` there,
// and the edge would then send requests into its own host or private network. This transport wrapper
// resolves each node's host (every address it has) and refuses to contact a node whose host is or
// resolves to a loopback, private, link-local, unspecified or otherwise non-public address, unless the
// operator allows it (ALLOW_PRIVATE_NODE_ADDRESSES). The refusal is a TransportError of kind
// 'unreachable', so the reader counts that node as failed and reads from the others.
//
// Node-only (node:dns, node:net): src/network is not a Web-standard core folder, and main.ts wires it.
import { lookup as dnsLookupCallback, type LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { TransportError, type NodeTransport } from './node-transport.ts';

type Family = 'ipv4' | 'ipv6';

// Address ranges that are not the public internet (IANA special-purpose registries, RFC 6890 and
// successors). IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 rules by
// BlockList itself.
const NON_PUBLIC: [subnet: string, prefix: number, family: Family, what: string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.88.99.0', 24, 'ipv4', 'reserved (6to4 relay)'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b:1::', 48, 'ipv6', 'local-use NAT64'],
  ['100::', 64, 'ipv6', 'discard-only'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];
const RULES = NON_PUBLIC.map(([subnet, prefix, family, what]) => {
  const list = new BlockList();
  list.addSubnet(subnet, prefix, family);
  return { list, what };
});

/** Why `address` (an IP literal) is not a public internet address, or undefined when it is one. */
export function nonPublicReason(address: string): string | undefined {
  const version = isIP(address);
  if (version === 0) return 'not an IP address';
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';
  for (const rule of RULES) if (rule.list.check(address, family)) return rule.what;
  // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits: judge that one.
  const nat64 = /^64:ff9b::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (nat64) {
    const word = (hex: string) => parseInt(hex, 16);
    const [high, low] = [word(nat64[1]!), word(nat64[2]!)];
    return nonPublicReason(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  return undefined;
}

/** A node the guard would not contact: its host is, or resolves to, a non-public address. */
export class NodeAddressRefusedError extends TransportError {
  override name = 'NodeAddressRefusedError';
  readonly code = 'WALRUS_NODE_ADDRESS_REFUSED';
  readonly host: string;
  readonly address: string;
  /** What kind of address it is: 'loopback', 'private', 'link-local', ... */
  readonly reason: string;
  constructor(host: string, address: string, reason: string, message: string) {
    super('unreachable', message);
    this.host = host;
    this.address = address;
    this.reason = reason;
  }
}

export type AddressLookup = (host: string) => Promise<string[]>;

/** Every address `host` resolves to, as node:dns's `lookup` (the system resolver, as connections use). */
export const systemLookup: AddressLookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

export interface AddressGuardOptions {
  /** How hosts are resolved; default the system resolver (node:dns lookup, all addresses). */
  lookup?: AddressLookup;
  /** How long a host's verdict is kept, in ms (DNS answers change; lookups cost). Default 30 000. */
  cacheMs?: number;
  /** Named in the refusal, so an operator knows how to allow it. */
  allowHint?: string;
  /** Told the first time each host is refused, e.g. to log it. */
  onRefused?(refusal: NodeAddressRefusedError): void;
}

type Verdict = { ok: true } | { ok: false; address: string; reason: string } | { error: Error };

/**
 * `inner`, except that a request to a host that is, or resolves to, a non-public address is refused
 * with a `NodeAddressRefusedError` before anything is sent. A host with several addresses is refused
 * if any of them is non-public (the connection could use any of them). A host that does not resolve
 * fails like an unreachable node.
 *
 * A host whose DNS answer changes between this check and the connection (DNS rebinding) gets past
 * this check alone; `publicOnlyLookup` as the connection's `lookup` closes that gap.
 */
export function addressGuardedTransport(
  inner: NodeTransport,
  options: AddressGuardOptions = {},
): NodeTransport {
  const lookup = options.lookup ?? systemLookup;
  const cacheMs = options.cacheMs ?? 30_000;
  const hint = options.allowHint ?? 'ALLOW_PRIVATE_NODE_ADDRESSES=true';
  const verdicts = new Map<string, { at: number; verdict: Promise<Verdict> }>();
  // Hosts refused so far (each reported once).
  const refusedHosts = new Set<string>();

  const judge = async (host: string): Promise<Verdict> => {
    let addresses: string[];
    if (isIP(host)) {
      addresses = [host];
    } else {
      try {
        addresses = await lookup(host);
      } catch (error) {
        return { error: error as Error };
      }
    }
    if (addresses.length === 0) return { error: new Error('the name has no addresses') };
    for (const address of addresses) {
      const reason = nonPublicReason(address);
      if (reason) return { ok: false, address, reason };
    }
    return { ok: true };
  };

  const verdictFor = (host: string): Promise<Verdict> => {
    const now = Date.now();
    const cached = verdicts.get(host);
    if (cached && now - cached.at < cacheMs) return cached.verdict;
    const verdict = judge(host);
    verdicts.set(host, { at: now, verdict });
    // Lookup failures are not remembered for long: the next request asks again.
    void verdict.then((v) => {
      if ('error' in v) verdicts.delete(host);
    });
    if (verdicts.size > 10_000) verdicts.delete(verdicts.keys().next().value!);
    return verdict;
  };

  return {
    async request(request) {
      let host: string;
      try {
        host = new URL(request.url).hostname;
      } catch {
        throw new TransportError('unreachable', `${request.method} ${request.url}: not a valid URL`);
      }
      const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
      const verdict = await verdictFor(bare);
      if ('error' in verdict) {
        throw new TransportError(
          'unreachable',
          `${request.method} ${request.url}: cannot resolve ${bare}: ${verdict.error.message}`,
        );
      }
      if (!verdict.ok) {
        const first = !refusedHosts.has(bare) && refusedHosts.size < 10_000;
        if (first) refusedHosts.add(bare);
        const what =
          verdict.address === bare
            ? `${bare} is a non-public address`
            : `${bare} resolves to ${verdict.address}, a non-public address`;
        const refusal = new NodeAddressRefusedError(
          bare,
          verdict.address,
          verdict.reason,
          `${request.method} ${request.url}: not contacted: ${what} (${verdict.reason}); ` +
            `storage node addresses come from the chain, set ${hint} to allow such nodes`,
        );
        if (first) options.onRefused?.(refusal);
        throw refusal;
      }
      return inner.request(request);
    },
    close: () => inner.close(),
  };
}

/**
 * A `lookup` for sockets (`net.connect`/`tls.connect`, undici's `connect` options) that resolves as
 * node:dns does and fails the connection when any address of the name is non-public: the check at the
 * moment of connecting, so a DNS answer that changed since `addressGuardedTransport` looked (DNS
 * rebinding) is caught too. IP literals never reach a lookup; the transport guard judges those.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookupCallback(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    const reply = callback as (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void;
    if (error) return reply(error, '');
    const refused = addresses.find((entry) => nonPublicReason(entry.address) !== undefined);
    if (refused) {
      const refusal: NodeJS.ErrnoException = new Error(
        `not connecting to ${hostname}: it resolves to ${refused.address}, a non-public address ` +
          `(${nonPublicReason(refused.address)})`,
      );
      refusal.code = 'WALRUS_NODE_ADDRESS_REFUSED';
      return reply(refusal, '');
    }
    if (options.all) return reply(null, addresses);
    const first = addresses[0];
    if (!first)
      return reply(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '');
    reply(null, first.address, first.family);
  });
};
