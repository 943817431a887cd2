import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { encodeBlob } from '../../src/codec/blob-encoder.ts';
import { BlobMetadataWithId, SliverData } from '../../src/protocol/bcs.ts';
import { formatBlobId, parseBlobId } from '../../src/protocol/blob-id.ts';
import { metadataMatchesBlobId, parseMetadata } from '../../src/protocol/metadata.ts';
import { nodeIndexByShard } from '../../src/network/committee.ts';
import { pairForShard, shardForPair } from '../../src/protocol/sliver-layout.ts';
import { randomBytes } from '../protocol/oracle.ts';
import {
  fundedAccount,
  postFault,
  readSystematic,
  startTestDevnet,
  storeOnDevnet,
} from '../support/devnet.ts';

const N = 100;
let devnet: RunningDevnet;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: N });
});
afterAll(async () => {
  await devnet?.stop();
});

function put(url: string, body: Uint8Array | undefined): Promise<Response> {
  return fetch(url, { method: 'PUT', body: body as Uint8Array<ArrayBuffer> });
}

async function errorReason(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { error: { details: { reason: string }[] } };
  return body.error.details[0]?.reason;
}

describe('devnet storage nodes', () => {
  it('store a blob end to end and serve it back, byte for byte', async () => {
    const data = randomBytes(200_000, 1);
    const stored = await storeOnDevnet(devnet, data);
    expect(stored.blob.certifiedEpoch).toBe(1);
    expect(await readSystematic(devnet.committee, stored.blobId)).toEqual(data);

    const metadataResponse = await fetch(
      `${devnet.committee.nodes[3]!.url}/v1/blobs/${stored.blobId}/metadata`,
    );
    expect(metadataResponse.headers.get('content-type')).toBe('application/octet-stream');
    const withId = BlobMetadataWithId.parse(new Uint8Array(await metadataResponse.arrayBuffer()));
    expect(formatBlobId(withId.blob_id)).toBe(stored.blobId);
  });

  it('serve only the shards they hold', async () => {
    const stored = await storeOnDevnet(devnet, randomBytes(1000, 2));
    const idBytes = parseBlobId(stored.blobId);
    const owners = nodeIndexByShard(devnet.committee);
    const pair = 7;
    const owner = owners[shardForPair(pair, idBytes, N)]!;
    const other = (owner + 1) % devnet.committee.nodes.length;
    const good = await fetch(
      `${devnet.committee.nodes[owner]!.url}/v1/blobs/${stored.blobId}/slivers/${pair}/secondary`,
    );
    expect(good.status).toBe(200);
    expect(SliverData.parse(new Uint8Array(await good.arrayBuffer())).index).toBe(N - 1 - pair);
    const wrong = await fetch(
      `${devnet.committee.nodes[other]!.url}/v1/blobs/${stored.blobId}/slivers/${pair}/secondary`,
    );
    expect(wrong.status).toBe(400);
    expect(await errorReason(wrong)).toBe('SHARD_NOT_ASSIGNED');
  });

  it('reject metadata and slivers that do not fit, with AIP-193 errors', async () => {
    const node = devnet.committee.nodes[0]!;
    const encoded = encodeBlob(randomBytes(5000, 3), N);
    const blobId = formatBlobId(encoded.blobId);
    // Not registered yet.
    let response = await put(`${node.url}/v1/blobs/${blobId}/metadata`, encoded.metadata);
    expect(response.status).toBe(400);
    expect(await errorReason(response)).toBe('NOT_REGISTERED');

    const { chain, sender } = await fundedAccount(devnet);
    await chain.registerBlob({ sender, rootHash: encoded.rootHash, size: 5000, epochs: 1, deletable: false });
    // Metadata of another blob does not derive to this ID.
    const other = encodeBlob(randomBytes(5000, 4), N);
    response = await put(`${node.url}/v1/blobs/${blobId}/metadata`, other.metadata);
    expect(await errorReason(response)).toBe('INVALID_METADATA');
    response = await put(`${node.url}/v1/blobs/${blobId}/metadata`, new Uint8Array([1, 2, 3]));
    expect(await errorReason(response)).toBe('INVALID_METADATA');
    // Slivers need the metadata first.
    const pair = pairForShard(node.shards[0]!, encoded.blobId, N);
    response = await put(`${node.url}/v1/blobs/${blobId}/slivers/${pair}/primary`, encoded.primary[pair]);
    expect(await errorReason(response)).toBe('METADATA_NOT_FOUND');

    response = await put(`${node.url}/v1/blobs/${blobId}/metadata`, encoded.metadata);
    expect(response.status).toBe(201);
    response = await put(`${node.url}/v1/blobs/${blobId}/metadata`, encoded.metadata);
    expect(response.status).toBe(200);
    expect(metadataMatchesBlobId(parseMetadata(encoded.metadata), encoded.blobId, N)).toBe(true);

    // A primary sliver sent as the secondary of its pair has the wrong index.
    response = await put(`${node.url}/v1/blobs/${blobId}/slivers/${pair}/secondary`, encoded.primary[pair]);
    expect(await errorReason(response)).toBe('SLIVER_INDEX_MISMATCH');
    // A truncated sliver: right framing, wrong length.
    const sliver = SliverData.parse(encoded.primary[pair]!);
    const short = SliverData.serialize({
      ...sliver,
      symbols: { ...sliver.symbols, data: sliver.symbols.data.slice(2) },
    }).toBytes();
    response = await put(`${node.url}/v1/blobs/${blobId}/slivers/${pair}/primary`, short);
    expect(await errorReason(response)).toBe('INVALID_SLIVER');
    // Right framing and length, one wrong byte: it does not hash to the metadata's entry.
    const tampered = encoded.primary[pair]!.slice();
    tampered[5] = tampered[5]! ^ 1;
    response = await put(`${node.url}/v1/blobs/${blobId}/slivers/${pair}/primary`, tampered);
    expect(response.status).toBe(400);
    expect(await errorReason(response)).toBe('INVALID_SLIVER');
    // The genuine sliver is accepted; so is the secondary of the same pair.
    response = await put(`${node.url}/v1/blobs/${blobId}/slivers/${pair}/primary`, encoded.primary[pair]);
    expect(response.status).toBe(201);
    response = await put(`${node.url}/v1/blobs/${blobId}/slivers/${pair}/secondary`, encoded.secondary[pair]);
    expect(response.status).toBe(201);

    // No confirmation until every sliver of the node's shards is there.
    response = await fetch(`${node.url}/v1/blobs/${blobId}/confirmation/permanent`);
    expect(await errorReason(response)).toBe('MISSING_SLIVERS');
    for (const text of ['not-an-id', blobId + 'A']) {
      response = await fetch(`${node.url}/v1/blobs/${text}/metadata`);
      expect(response.status).toBe(400);
    }
  });

  it('misbehave on request and count requests by route', async () => {
    const stored = await storeOnDevnet(devnet, randomBytes(3000, 5));
    const node = devnet.committee.nodes[2]!;
    const idBytes = parseBlobId(stored.blobId);
    const pair = pairForShard(node.shards[0]!, idBytes, N);
    const sliverUrl = `${node.url}/v1/blobs/${stored.blobId}/slivers/${pair}/primary`;
    const metadataUrl = `${node.url}/v1/blobs/${stored.blobId}/metadata`;
    const before = (await (await fetch(`${node.url}/_devnet/stats`)).json()) as {
      requests: Record<string, number>;
    };
    const honest = new Uint8Array(await (await fetch(sliverUrl)).arrayBuffer());
    try {
      expect((await postFault(node.url, 'down')).status).toBe(200);
      expect((await fetch(sliverUrl)).status).toBe(503);

      await postFault(node.url, 'slow', 300);
      const started = performance.now();
      expect((await fetch(sliverUrl)).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(280);

      await postFault(node.url, 'corrupt-slivers');
      const corrupt = new Uint8Array(await (await fetch(sliverUrl)).arrayBuffer());
      const parsed = SliverData.parse(corrupt);
      expect(parsed.index).toBe(pair);
      expect(parsed.symbols.data).not.toEqual(SliverData.parse(honest).symbols.data);

      await postFault(node.url, 'corrupt-metadata');
      const badMeta = BlobMetadataWithId.parse(
        new Uint8Array(await (await fetch(metadataUrl)).arrayBuffer()),
      );
      const reencoded = BlobMetadataWithId.serialize(badMeta).toBytes().subarray(32);
      expect(metadataMatchesBlobId(parseMetadata(reencoded), idBytes, N)).toBe(false);

      await postFault(node.url, 'blocked');
      const blocked = await fetch(metadataUrl);
      expect(blocked.status).toBe(451);
      expect(await errorReason(blocked)).toBe('FORBIDDEN_BLOB');

      expect((await postFault(node.url, 'sideways')).status).toBe(400);
    } finally {
      await postFault(node.url, 'ok');
    }
    expect(new Uint8Array(await (await fetch(sliverUrl)).arrayBuffer())).toEqual(honest);
    const after = (await (await fetch(`${node.url}/_devnet/stats`)).json()) as {
      requests: Record<string, number>;
    };
    // honest, slow, corrupt and the final read; a node that is "down" refuses before it counts.
    expect(after.requests.sliver! - (before.requests.sliver ?? 0)).toBe(4);
    expect(after.requests.metadata! - (before.requests.metadata ?? 0)).toBe(2);
  });

  it('stop serving a blob once it expires or is deleted', async () => {
    const stored = await storeOnDevnet(devnet, randomBytes(2000, 6), { deletable: true, epochs: 1 });
    const url = `${devnet.committee.nodes[0]!.url}/v1/blobs/${stored.blobId}/metadata`;
    expect((await fetch(url)).status).toBe(200);
    await stored.chain.deleteBlob(stored.objectId, stored.sender);
    expect((await fetch(url)).status).toBe(404);

    const expiring = await storeOnDevnet(devnet, randomBytes(2000, 7), { epochs: 1 });
    const expiringUrl = `${devnet.committee.nodes[0]!.url}/v1/blobs/${expiring.blobId}/metadata`;
    expect((await fetch(expiringUrl)).status).toBe(200);
    devnet.ledger.advanceEpoch();
    expect((await fetch(expiringUrl)).status).toBe(404);
    const status = (await (
      await fetch(`${devnet.committee.nodes[0]!.url}/v1/blobs/${expiring.blobId}/status`)
    ).json()) as {
      success: { data: unknown };
    };
    expect(status.success.data).toBe('nonexistent');
  });
});

describe('small devnets', () => {
  for (const { shards, nodes } of [
    { shards: 7, nodes: 3 },
    { shards: 10, nodes: 4 },
  ]) {
    it(`store and serve blobs at n=${shards} with ${nodes} nodes`, async () => {
      const small = await startTestDevnet({ nodes, shards });
      try {
        for (const [i, size] of [0, 1, 40_000].entries()) {
          const data = randomBytes(size, shards * 10 + i);
          const stored = await storeOnDevnet(small, data);
          expect(stored.signers.length).toBeGreaterThan(0);
          expect(await readSystematic(small.committee, stored.blobId)).toEqual(data);
        }
      } finally {
        await small.stop();
      }
    });
  }
});
