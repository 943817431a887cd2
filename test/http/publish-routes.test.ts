// The official publisher API through a running edge (startEdge on a test devnet): PUT /v1/blobs and
// PUT /v1/quilts as clients of the official publisher call them. Witnesses never take the edge's word:
// the official SDK reads the bytes and the Blob objects over the devnet's Sui endpoint, SuiGrpcClient
// reads owners and balances, the storage nodes' own counters say what they were asked.
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';

let devnet: RunningDevnet;
let edge: RunningEdge;
const edgeDir = tempDir('publish-edge');

const sui = () => new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
const walrus = () =>
  new WalrusClient({ packageConfig: devnet.packageConfig, suiClient: sui(), storageNodeUrlScheme: 'http' });

/** The official publisher's answers, as far as these tests read them (the spec checks the rest). */
interface BlobObjectJson {
  id: string;
  blobId: string;
  registeredEpoch: number;
  certifiedEpoch: number | null;
  deletable: boolean;
  size: number;
  storage: { endEpoch: number };
}
interface StoreJson {
  newlyCreated?: {
    blobObject: BlobObjectJson;
    resourceOperation: Record<string, { encodedLength: number; epochsAhead?: number }>;
    cost: number;
    sharedBlobObject?: string;
  };
  alreadyCertified?: {
    blobId: string;
    event?: { txDigest: string; eventSeq: string };
    object?: string;
    endEpoch: number;
  };
  blobStoreResult?: StoreJson;
  storedQuiltBlobs?: { identifier: string; quiltPatchId: string }[];
  error?: { code: number; status: string; message: string; details: { reason: string }[] };
}

async function put(path: string, body: BodyInit | Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(`${edge.url}${path}`, { method: 'PUT', body: body as BodyInit, headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, json: json as StoreJson };
}

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  edge = await startEdge(
    loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: edgeDir.path, DEVNET_DIR: devnet.dir }),
  );
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  edgeDir.remove();
});

describe('PUT /v1/blobs', () => {
  it('stores a blob the official SDK reads back, with the Blob object it reports', async () => {
    const data = randomBytes(40_000, 1101);
    const { status, json } = await put('/v1/blobs?epochs=2', data);
    expect(status, JSON.stringify(json)).toBe(200);
    const created = json.newlyCreated!;
    expect(created.blobObject.deletable).toBe(true);
    const sdk = walrus();
    expect(await sdk.readBlob({ blobId: created.blobObject.blobId })).toEqual(data);
    const blob = await sdk.getBlobObject(created.blobObject.id);
    expect(blob.deletable).toBe(true);
    expect(blob.storage.end_epoch - blob.registered_epoch).toBe(2);
  });
});
