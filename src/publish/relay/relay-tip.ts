// The upload relay's tip (UPLOAD_RELAY_TIP, UPLOAD_RELAY_TIP_ADDRESS): what GET /v1/tip-config
// answers, and how much SUI (MIST) a blob of a given size must pay, as walrus-sdk
// upload_relay/tip_config.rs computes it (and @mysten/walrus `calculateUploadRelayTip`).
import { isValidSuiAddress, normalizeSuiAddress } from '@mysten/sui/utils';
import { encodedLength } from '../../protocol/encoding.ts';

export type TipKind =
  { kind: 'const'; mist: bigint } | { kind: 'linear'; base: bigint; perEncodedKib: bigint };

export type RelayTip = { required: false } | { required: true; address: string; tip: TipKind };

/** The official JSON: `"no_tip"` or `{"send_tip":{"address","kind":{"const":N}|{"linear":{...}}}}`. */
export type TipConfigJson =
  | 'no_tip'
  | {
      send_tip: {
        address: string;
        kind: { const: number } | { linear: { base: number; encoded_size_mul_per_kib: number } };
      };
    };

/**
 * `none`, `const:N` or `linear:BASE:PER_KIB` (MIST), paid to `address` (0x hex). Throws on anything
 * else, on amounts a JSON number cannot carry exactly, and on a tip with no address to pay it to.
 */
export function parseRelayTip(spec: string, address: string | undefined): RelayTip {
  if (spec === 'none') return { required: false };
  const amount = (text: string) => {
    const value = BigInt(text);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`UPLOAD_RELAY_TIP: ${text} MIST is more than a JSON number carries exactly`);
    }
    return value;
  };
  let tip: TipKind;
  const constant = /^const:(\d+)$/.exec(spec);
  const linear = /^linear:(\d+):(\d+)$/.exec(spec);
  if (constant) tip = { kind: 'const', mist: amount(constant[1]!) };
  else if (linear) tip = { kind: 'linear', base: amount(linear[1]!), perEncodedKib: amount(linear[2]!) };
  else
    throw new Error(
      `UPLOAD_RELAY_TIP must be none, const:N or linear:BASE:PER_KIB, not ${JSON.stringify(spec)}`,
    );
  if (address === undefined)
    throw new Error('UPLOAD_RELAY_TIP asks for a tip but there is no address to pay it to');
  const normalized = normalizeSuiAddress(address);
  if (!/^0x[0-9a-fA-F]{1,64}$/.test(address) || !isValidSuiAddress(normalized)) {
    throw new Error(`UPLOAD_RELAY_TIP_ADDRESS is no Sui address: ${JSON.stringify(address)}`);
  }
  return { required: true, address: normalized, tip };
}

export function tipConfigJson(tip: RelayTip): TipConfigJson {
  if (!tip.required) return 'no_tip';
  const kind =
    tip.tip.kind === 'const'
      ? { const: Number(tip.tip.mist) }
      : { linear: { base: Number(tip.tip.base), encoded_size_mul_per_kib: Number(tip.tip.perEncodedKib) } };
  return { send_tip: { address: tip.address, kind } };
}

/** MIST owed for a blob of `unencodedLength` bytes on `nShards` shards: base + ⌈encoded / 1 KiB⌉ × per KiB. */
export function tipFor(tip: TipKind, unencodedLength: number, nShards: number): bigint {
  if (tip.kind === 'const') return tip.mist;
  const kib = (BigInt(encodedLength(unencodedLength, nShards)) + 1023n) / 1024n;
  return tip.base + kib * tip.perEncodedKib;
}
