// A certified blob whose encoding is inconsistent, as a careless or malicious writer could store it:
// every sliver matches its hash in the metadata, so every node accepts it and the network certifies it,
// but the slivers are not one codeword. Systematic rows 0..P-1 (and all secondary slivers) come from
// `data`; the repair rows P..n-1 come from the encoding of `other` (same length). So:
//  - reading rows 0..P-1 directly gives `data`, each row verifying;
//  - re-encoding `data` gives another blob ID (the strict check catches it at once);
//  - decoding from any P slivers that include repair rows gives neither blob, and its rows do not match
//    the metadata (the default check catches it when decoding was needed).
// Built from the devnet's own upload path: register on the chain, PUT metadata and slivers (each
// checked by the nodes against the metadata), collect confirmations, certify.
import { encodeBlob } from '../../src/codec/blob-encoder.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { StorageNodeClient } from '../../src/network/storage-node-client.ts';
import { BlobMetadata } from '../../src/protocol/bcs.ts';
import { deriveBlobId, formatBlobId, metadataRootHash } from '../../src/protocol/blob-id.ts';
import { encodingParams } from '../../src/protocol/encoding.ts';
import { pairForShard } from '../../src/protocol/sliver-layout.ts';
import { buildCertificate } from '../../src/publish/blob-writer.ts';
import { fundedAccount } from './devnet.ts';

export async function storeInconsistentBlob(
  devnet: RunningDevnet,
  data: Uint8Array,
  other: Uint8Array,
): Promise<{ blobId: string; objectId: string }> {
  if (other.length !== data.length) throw new Error('the two contents must have the same length');
  const committee = devnet.committee;
  const n = committee.nShards;
  const { primarySymbols: P } = encodingParams(n);
  const honest = encodeBlob(data, n);
  const foreign = encodeBlob(other, n);
  const fromForeign = (pair: number) => pair >= P;

  const hashes = honest.hashes.map((pair, p) => ({
    primary: fromForeign(p) ? foreign.hashes[p]!.primary : pair.primary,
    secondary: pair.secondary,
  }));
  const primary = honest.primary.map((sliver, p) => (fromForeign(p) ? foreign.primary[p]! : sliver));
  const metadata = BlobMetadata.serialize({
    V1: {
      encoding_type: { RS2: true },
      unencoded_length: BigInt(data.length),
      hashes: hashes.map((h) => ({
        primary_hash: { Digest: h.primary },
        secondary_hash: { Digest: h.secondary },
      })),
    },
  }).toBytes();
  const rootHash = metadataRootHash(hashes);
  const idBytes = deriveBlobId(rootHash, data.length);
  const blobId = formatBlobId(idBytes);

  const { chain, sender } = await fundedAccount(devnet);
  const registered = await chain.registerBlob({
    sender,
    rootHash,
    size: data.length,
    epochs: 2,
    deletable: false,
  });
  if (registered.blobId !== blobId) throw new Error(`chain derived ${registered.blobId}, expected ${blobId}`);

  const confirmations = await Promise.all(
    committee.nodes.map(async (node, index) => {
      const client = new StorageNodeClient(node.url);
      await client.putMetadata(blobId, metadata);
      for (const shard of node.shards) {
        const pair = pairForShard(shard, idBytes, n);
        await client.putSliver(blobId, pair, 'primary', primary[pair]!);
        await client.putSliver(blobId, pair, 'secondary', honest.secondary[pair]!);
      }
      return { index, ...(await client.getConfirmation(blobId, { kind: 'permanent' })) };
    }),
  );
  await chain.certifyBlob(registered.id, buildCertificate(committee, confirmations));
  return { blobId, objectId: registered.id };
}
