// The edge on a Sui network whose Sui is the devnet's gRPC endpoint: NETWORK=testnet, with only the
// devnet's suiUrl and packageConfig handed in (the edge's own SuiGrpcClient, over HTTP, no in-process
// stand-in). It must find the committee, serve a blob our writer stored, read Blob objects and their
// attributes, and drop a deleted blob when the Walrus event arrives through ListEvents.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { waitFor } from '../http/http-helpers.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';

let devnet: RunningDevnet;
let edge: RunningEdge;
const dir = tempDir('edge-devnet-sui');

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  const { suiUrl, packageConfig } = JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as {
    suiUrl: string;
    packageConfig: { systemObjectId: string; stakingPoolId: string };
  };
  edge = await startEdge(
    loadConfig({
      PORT: '0',
      DATA_DIR: dir.path,
      NETWORK: 'testnet',
      LOG_LEVEL: 'silent',
      SUI_EVENT_POLL_MS: '100',
    }),
    {
      sui: {
        url: suiUrl,
        systemObjectId: packageConfig.systemObjectId,
        stakingObjectId: packageConfig.stakingPoolId,
        urlScheme: 'http',
        // The devnet's nodes live on loopback.
        allowPrivateNodeAddresses: true,
      },
    },
  );
});
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  dir.remove();
});

describe("the edge on NETWORK=testnet against the devnet's Sui gRPC endpoint", () => {
  it('serves a blob our writer stored, and drops it once its deletion comes through ListEvents', async () => {
    const data = randomBytes(40_000, 601);
    const stored = await storeOnDevnet(devnet, data, { deletable: true });
    const first = await fetch(`${edge.url}/v1/blobs/${stored.blobId}`);
    expect(first.status).toBe(200);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(data);
    // Cached: from here on only the deletion event can make it go away.
    const hit = await fetch(`${edge.url}/v1/blobs/${stored.blobId}`);
    expect(hit.headers.get('x-cache')).toBe('HIT-MEMORY');
    await hit.arrayBuffer();

    await stored.chain.deleteBlob(stored.objectId, stored.sender);
    const gone = async () => {
      const response = await fetch(`${edge.url}/v1/blobs/${stored.blobId}`);
      await response.arrayBuffer();
      return response.status === 404;
    };
    expect(await waitFor(gone, 5_000)).toBe(true);
  });

  it('serves /v1/blobs/by-object-id from the Blob object and its attributes', async () => {
    const data = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    const stored = await storeOnDevnet(devnet, data);
    await stored.chain.setAttributes(stored.objectId, stored.sender, { 'content-type': 'image/svg+xml' });
    const response = await fetch(`${edge.url}/v1/blobs/by-object-id/${stored.objectId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-walrus-blob-id')).toBe(stored.blobId);
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(data);
  });
});
