// What a reader or writer needs to know about the storage network: its nodes, their shards and keys.
// The devnet writes this shape to committee.json (DESIGN §4); the Sui reader produces it too.
import { z } from 'zod';

export const CommitteeNodeSchema = z.object({
  name: z.string(),
  /** Base URL of the node's REST API, e.g. http://127.0.0.1:9100 */
  url: z.string().url(),
  /** BLS12-381 min-pk public key (G1, 48 bytes compressed), standard base64. */
  blsPublicKey: z.string(),
  shards: z.array(z.number().int().nonnegative()),
  /** The node's on-chain ID (0x-prefixed, 32 bytes hex); also the ID of its StakingPool object. */
  nodeId: z.string().regex(/^0x[0-9a-f]{64}$/),
  /**
   * The node's network public key (P-256, 33-byte compressed SEC1), which authenticates its TLS
   * certificate when that is self-signed (DESIGN §2; devnet `--tls`, Sui). Standard base64, like
   * blsPublicKey. Absent: only CA-valid certificates are accepted.
   */
  networkPublicKey: z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected standard base64')
    .optional(),
});

export const CommitteeSchema = z.object({
  nShards: z.number().int().min(4),
  epoch: z.number().int().nonnegative(),
  chainUrl: z.string().url().optional(),
  nodes: z.array(CommitteeNodeSchema).min(1),
});

export type CommitteeNode = z.infer<typeof CommitteeNodeSchema>;
export type Committee = z.infer<typeof CommitteeSchema>;

/** shard → index of the node holding it. */
export function nodeIndexByShard(committee: Committee): Int32Array {
  const owners = new Int32Array(committee.nShards).fill(-1);
  committee.nodes.forEach((node, index) => {
    for (const shard of node.shards) owners[shard] = index;
  });
  return owners;
}
