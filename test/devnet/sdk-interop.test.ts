// Interop beats self-consistency: the official @mysten/walrus SDK writes to and reads from our devnet
// nodes (discovering them through the Sui stand-in), and reads what our own writer stored.
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { createSuiStandIn } from '../../src/devnet/sui-standin.ts';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { wasmBoundTimeout } from '../support/bun.ts';
import { readSystematic, startTestDevnet, storeOnDevnet } from '../support/devnet.ts';

function sdkClientFor(devnet: RunningDevnet): WalrusClient {
  const standIn = createSuiStandIn(
    { ...devnet.committee, epoch: devnet.ledger.epoch },
    {
      storagePricePerUnit: BigInt(devnet.ledger.params.storagePricePerUnit),
      writePricePerUnit: BigInt(devnet.ledger.params.writePricePerUnit),
    },
  );
  // A fresh client per use: the SDK keeps a client broken after a transient committee error (DESIGN §7).
  return new WalrusClient({
    packageConfig: { systemObjectId: standIn.systemObjectId, stakingPoolId: standIn.stakingPoolId },
    suiClient: standIn.client,
    storageNodeUrlScheme: 'http',
  });
}

for (const { shards, nodes, size } of [
  { shards: 100, nodes: 11, size: 300_000 },
  { shards: 1000, nodes: 12, size: 1_000_000 },
]) {
  describe(`@mysten/walrus against the devnet (n=${shards}, ${nodes} nodes)`, () => {
    let devnet: RunningDevnet;
    beforeAll(async () => {
      devnet = await startTestDevnet({ nodes, shards });
    });
    afterAll(async () => {
      await devnet?.stop();
    });

    for (const deletable of [false, true]) {
      it(
        `stores a ${deletable ? 'deletable' : 'permanent'} blob with the SDK, certifies it on the devnet chain, reads it back`,
        async () => {
          const data = randomBytes(size, shards + Number(deletable));
          const walrus = sdkClientFor(devnet);
          const chain = new DevnetChainClient(devnet.chainUrl);
          const { address: sender } = await chain.fundAccount();

          const { blobId, metadata, sliversByNode, rootHash } = await walrus.encodeBlob(data);
          const registered = await chain.registerBlob({
            sender,
            rootHash,
            size: data.length,
            epochs: 2,
            deletable,
          });
          expect(registered.blobId).toBe(blobId);

          const confirmations = await walrus.writeEncodedBlobToNodes({
            blobId,
            metadata,
            sliversByNode,
            ...(deletable
              ? { deletable: true as const, objectId: registered.id }
              : { deletable: false as const }),
          });
          expect(confirmations.filter((c) => c !== null)).toHaveLength(nodes);
          const certificate = await walrus.certificateFromConfirmations({
            confirmations,
            blobId,
            deletable,
            blobObjectId: registered.id,
          });
          const certified = await chain.certifyBlob(registered.id, certificate);
          expect(certified.certifiedEpoch).toBe(devnet.ledger.epoch);

          // Our plain reader and the SDK agree with the original bytes.
          expect(await readSystematic(devnet.committee, blobId)).toEqual(data);
          expect(await sdkClientFor(devnet).readBlob({ blobId })).toEqual(data);
          // The SDK's encoding and the nodes' checks are WebAssembly: slower on Bun (wasmBoundTimeout).
        },
        wasmBoundTimeout(60_000),
      );
    }

    it('reads with the SDK a blob our own writer stored', async () => {
      const data = randomBytes(size + 12_345, shards + 7);
      const stored = await storeOnDevnet(devnet, data);
      const walrus = sdkClientFor(devnet);
      const metadata = await walrus.getBlobMetadata({ blobId: stored.blobId });
      expect(BigInt(metadata.metadata.V1.unencoded_length)).toBe(BigInt(data.length));
      expect(await walrus.readBlob({ blobId: stored.blobId })).toEqual(data);
    });

    it('has the devnet chain refuse a certificate built without a quorum', async () => {
      const data = randomBytes(10_000, shards + 9);
      const walrus = sdkClientFor(devnet);
      const chain = new DevnetChainClient(devnet.chainUrl);
      const { address: sender } = await chain.fundAccount();
      const { blobId, metadata, sliversByNode, rootHash } = await walrus.encodeBlob(data);
      const registered = await chain.registerBlob({
        sender,
        rootHash,
        size: data.length,
        epochs: 1,
        deletable: false,
      });
      const confirmations = await walrus.writeEncodedBlobToNodes({
        blobId,
        metadata,
        sliversByNode,
        deletable: false,
      });
      const certificate = await walrus.certificateFromConfirmations({
        confirmations,
        blobId,
        deletable: false,
        blobObjectId: registered.id,
      });
      // Keep only the signers of fewer than 2f+1 shards: the SDK counts nodes, the chain counts shards.
      const minority = certificate.signers.slice(0, Math.floor(nodes / 2));
      await expect(chain.certifyBlob(registered.id, { ...certificate, signers: minority })).rejects.toThrow(
        /NOT_ENOUGH_SIGNERS|quorum/,
      );
    });
  });
}
