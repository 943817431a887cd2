// The devnet chain decides who paid, what is certified and when blobs expire; storage nodes and the edge
// trust it. These tests build ledgers in memory over a committee with deliberately uneven shard counts
// (so shard weight and node count disagree), drive the HTTP API with app.request, and the HTTP client
// against a running devnet.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { toBase58 } from '@mysten/sui/utils';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeBlob } from '../../src/codec/blob-encoder.ts';
import { ChainError, DEFAULT_CHAIN_PARAMS, DevnetLedger } from '../../src/devnet/chain/ledger.ts';
import { createChainApp } from '../../src/devnet/chain/server.ts';
import type { BlobObject, ChainEvent, ChainParams } from '../../src/devnet/chain/types.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import type { Committee } from '../../src/network/committee.ts';
import { ChainRequestError, DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { bytesToBase64, hexToBytes } from '../../src/protocol/base64.ts';
import { blobIdToU256, deriveBlobId, formatBlobId, parseBlobId } from '../../src/protocol/blob-id.ts';
import { blsAggregateSignatures, blsSign, generateBlsKeyPair } from '../../src/protocol/bls.ts';
import { confirmationMessage, type Persistence } from '../../src/protocol/confirmation.ts';
import { maxBlobSize, storageCost } from '../../src/protocol/encoding.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { fundedAccount, startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';

const N = 100; // f = 33: a certificate needs at least 67 shards.
// Uneven on purpose: nodes 0+1 hold 68 shards (a quorum from 2 of 7 nodes); nodes 2..6 hold 32 (no quorum
// from 5 of 7); nodes {0,2,3,5,6} hold exactly 2f = 66 and {0,2,3,4,6} exactly 2f+1 = 67.
const SHARD_COUNTS = [40, 28, 10, 8, 6, 5, 3];
const KEYS = SHARD_COUNTS.map(() => generateBlsKeyPair());
const MIB = 1024 * 1024;
const PARAMS = { storagePricePerUnit: '1234', writePricePerUnit: '567', gasPerTransaction: '1000' };
const PRICES = { storagePricePerUnit: 1234n, writePricePerUnit: 567n };

function makeCommittee(nShards = N, epoch = 1): Committee {
  // Scatter each node's shards over the range (37 is coprime with 100), so no node owns a contiguous block.
  const order = Array.from({ length: nShards }, (_, i) => (i * 37) % nShards);
  let next = 0;
  return {
    nShards,
    epoch,
    nodes: SHARD_COUNTS.map((count, i) => {
      const shards = order.slice(next, next + count);
      next += count;
      return {
        name: `node-${i}`,
        url: `http://127.0.0.1:${9100 + i}`,
        blsPublicKey: bytesToBase64(KEYS[i]!.publicKey),
        shards,
        nodeId: `0x${(i + 1).toString(16).padStart(64, '0')}`,
      };
    }),
  };
}

function newLedger(options: { statePath?: string; params?: Partial<ChainParams> } = {}): DevnetLedger {
  return new DevnetLedger(makeCommittee(), { ...options, params: { ...PARAMS, ...options.params } });
}

function rootHash(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

function register(
  ledger: DevnetLedger,
  sender: string,
  options: { size?: number; epochs?: number; deletable?: boolean; root?: Uint8Array } = {},
): BlobObject {
  return ledger.registerBlob({
    sender,
    rootHash: options.root ?? rootHash(),
    size: options.size ?? 1000,
    epochs: options.epochs ?? 2,
    deletable: options.deletable ?? false,
  });
}

function persistenceOf(blob: BlobObject): Persistence {
  return blob.deletable ? { kind: 'deletable', objectId: hexToBytes(blob.id) } : { kind: 'permanent' };
}

function messageFor(blob: BlobObject, epoch: number, persistence = persistenceOf(blob)): Uint8Array {
  return confirmationMessage(epoch, parseBlobId(blob.blobId), persistence);
}

/** A certificate claiming `signers`; each listed signer signs `message` unless `signed` gives it another. */
function certificate(signers: number[], message: Uint8Array, signed: Record<number, Uint8Array> = {}) {
  const signatures = signers.map((i) => blsSign(signed[i] ?? message, KEYS[i]!.secretKey));
  return { signers, serializedMessage: message, signature: blsAggregateSignatures(signatures) };
}

const QUORUM_OF_TWO = [0, 1]; // 68 shards
const EXACT_QUORUM = [0, 2, 3, 4, 6]; // 67 shards
const EXACTLY_TWO_F = [0, 2, 3, 5, 6]; // 66 shards

function chainError(fn: () => unknown): ChainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChainError) return error;
    throw error;
  }
  throw new Error('expected a ChainError, but the call succeeded');
}

function eventsOf(ledger: DevnetLedger): ChainEvent[] {
  return ledger.eventsAfter(-1, 100_000);
}

describe('DevnetLedger: faucet and registration', () => {
  it('funds new and existing accounts from the faucet, and validates addresses', () => {
    const ledger = newLedger();
    const account = ledger.fundAccount();
    expect(account.address).toMatch(/^0x[0-9a-f]{64}$/);
    expect(account).toMatchObject({
      wal: DEFAULT_CHAIN_PARAMS.faucetWal,
      sui: DEFAULT_CHAIN_PARAMS.faucetSui,
    });
    const topped = ledger.fundAccount(account.address);
    expect(BigInt(topped.wal)).toBe(2n * BigInt(DEFAULT_CHAIN_PARAMS.faucetWal));
    expect(BigInt(topped.sui)).toBe(2n * BigInt(DEFAULT_CHAIN_PARAMS.faucetSui));
    expect(ledger.getAccount(account.address)).toEqual(topped);
    // A second faucet call without an address is another account.
    expect(ledger.fundAccount().address).not.toBe(account.address);

    const chosen = `0x${'ab'.repeat(32)}`;
    expect(ledger.fundAccount(chosen).address).toBe(chosen);
    for (const bad of [`0x${'AB'.repeat(32)}`, '0x1234', 'ab'.repeat(32), '']) {
      expect(chainError(() => ledger.fundAccount(bad))).toMatchObject({
        httpStatus: 400,
        reason: 'INVALID_ADDRESS',
      });
    }
    expect(chainError(() => ledger.getAccount(`0x${'cd'.repeat(32)}`))).toMatchObject({
      httpStatus: 404,
      reason: 'ACCOUNT_NOT_FOUND',
    });
  });

  it('charges exactly storageCost(size, n, epochs, prices).total in WAL plus gas in SUI', () => {
    const ledger = newLedger();
    const { address } = ledger.fundAccount();
    let wal = BigInt(ledger.getAccount(address).wal);
    let sui = BigInt(ledger.getAccount(address).sui);
    // Sizes and epochs chosen so that units, epochs and both prices all move the total.
    for (const [size, epochs] of [
      [1000, 3],
      [3 * MIB + 17, 1],
      [0, 7],
    ] as const) {
      const cost = storageCost(size, N, epochs, PRICES);
      expect(ledger.quote(size, epochs)).toMatchObject({ units: cost.units, total: cost.total.toString() });
      const blob = register(ledger, address, { size, epochs });
      wal -= cost.total;
      sui -= 1000n;
      expect(ledger.getAccount(address)).toMatchObject({ wal: wal.toString(), sui: sui.toString() });
      expect(blob).toMatchObject({
        owner: address,
        registeredEpoch: 1,
        size,
        encodingType: 1,
        certifiedEpoch: null,
        deletable: false,
        deleted: false,
        attributes: {},
        storage: { startEpoch: 1, endEpoch: 1 + epochs, storageSize: cost.units * MIB },
      });
      expect(blob.id).toMatch(/^0x[0-9a-f]{64}$/);
      expect(blob.storage.id).not.toBe(blob.id);
    }
  });

  it('derives the blob ID from root hash and size, as the encoder does', () => {
    const ledger = newLedger();
    const { address } = ledger.fundAccount();
    const data = randomBytes(5000, 11);
    const encoded = encodeBlob(data, N);
    const blob = register(ledger, address, { size: data.length, root: encoded.rootHash });
    expect(blob.blobId).toBe(formatBlobId(encoded.blobId));
    expect(blob.blobIdU256).toBe(blobIdToU256(encoded.blobId).toString());
    // The size is part of the ID: same root, other length, other ID.
    expect(register(ledger, address, { size: data.length + 1, root: encoded.rootHash }).blobId).not.toBe(
      blob.blobId,
    );
  });

  it('takes nothing and creates nothing when WAL or gas is short; an exact balance is enough', () => {
    const size = 4000;
    const epochs = 2;
    const total = storageCost(size, N, epochs, PRICES).total;
    const root = rootHash();

    const poor = newLedger({ params: { faucetWal: (total - 1n).toString() } });
    const { address } = poor.fundAccount();
    const before = poor.getAccount(address);
    const eventsBefore = eventsOf(poor).length;
    expect(chainError(() => register(poor, address, { size, epochs, root }))).toMatchObject({
      httpStatus: 402,
      reason: 'INSUFFICIENT_WAL',
    });
    expect(poor.getAccount(address)).toEqual(before);
    expect(eventsOf(poor)).toHaveLength(eventsBefore);
    const wouldBe = formatBlobId(deriveBlobId(root, size));
    expect(poor.blobsById(wouldBe)).toEqual([]);
    expect(poor.blobStatus(wouldBe)).toBe('nonexistent');

    const exact = newLedger({ params: { faucetWal: total.toString() } });
    const rich = exact.fundAccount().address;
    register(exact, rich, { size, epochs });
    expect(exact.getAccount(rich).wal).toBe('0');

    const noGas = newLedger({ params: { faucetSui: '999' } });
    const broke = noGas.fundAccount();
    expect(chainError(() => register(noGas, broke.address))).toMatchObject({
      httpStatus: 402,
      reason: 'INSUFFICIENT_GAS',
    });
    expect(noGas.getAccount(broke.address)).toEqual(broke);

    expect(chainError(() => register(noGas, `0x${'ee'.repeat(32)}`))).toMatchObject({
      httpStatus: 404,
      reason: 'ACCOUNT_NOT_FOUND',
    });
  });

  it('rejects malformed registrations before charging', () => {
    const ledger = newLedger();
    const account = ledger.fundAccount();
    const base = { sender: account.address, rootHash: rootHash(), size: 10, epochs: 1, deletable: false };
    const cases: [Partial<typeof base> & { encodingType?: number }, string][] = [
      [{ rootHash: new Uint8Array(31) }, 'INVALID_ROOT_HASH'],
      [{ size: -1 }, 'INVALID_SIZE'],
      [{ size: 1.5 }, 'INVALID_SIZE'],
      [{ size: maxBlobSize(N) + 1 }, 'INVALID_SIZE'],
      [{ epochs: 0 }, 'INVALID_EPOCHS'],
      [{ epochs: DEFAULT_CHAIN_PARAMS.maxEpochsAhead + 1 }, 'INVALID_EPOCHS'],
      [{ encodingType: 0 }, 'INVALID_ENCODING'],
    ];
    for (const [override, reason] of cases) {
      expect(chainError(() => ledger.registerBlob({ ...base, ...override }))).toMatchObject({
        httpStatus: 400,
        reason,
      });
    }
    expect(ledger.getAccount(account.address)).toEqual(account);
    // The limits themselves are accepted.
    expect(
      register(ledger, account.address, { size: maxBlobSize(N), epochs: DEFAULT_CHAIN_PARAMS.maxEpochsAhead })
        .size,
    ).toBe(maxBlobSize(N));
  });
});

describe('DevnetLedger: certification', () => {
  it('accepts signers holding more than 2f shards even when they are a minority of nodes', () => {
    const ledger = newLedger();
    const sender = ledger.fundAccount().address;
    const blob = register(ledger, sender);
    const certified = ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 1)));
    expect(certified.certifiedEpoch).toBe(1);
    expect(ledger.getBlob(blob.id).certifiedEpoch).toBe(1);
    expect(eventsOf(ledger).filter((e) => e.type === 'BlobCertified')).toMatchObject([
      { epoch: 1, data: { objectId: blob.id, blobId: blob.blobId, endEpoch: 3, deletable: false } },
    ]);

    // Exactly 2f + 1 shards is a quorum.
    const other = register(ledger, sender);
    expect(ledger.certifyBlob(other.id, certificate(EXACT_QUORUM, messageFor(other, 1))).certifiedEpoch).toBe(
      1,
    );
  });

  it('rejects a majority of nodes that holds at most 2f shards, and does not count a signer twice', () => {
    const ledger = newLedger();
    const blob = register(ledger, ledger.fundAccount().address);
    const message = messageFor(blob, 1);
    // Every signature below is genuine: only the shard weight is short.
    for (const signers of [[2, 3, 4, 5, 6], EXACTLY_TWO_F, [1, 2, 3, 4, 5, 6]]) {
      expect(chainError(() => ledger.certifyBlob(blob.id, certificate(signers, message)))).toMatchObject({
        httpStatus: 400,
        reason: 'NOT_ENOUGH_SIGNERS',
      });
    }
    // Node 0 listed (and signing) twice would reach 106 shards if counted twice.
    expect(
      chainError(() => ledger.certifyBlob(blob.id, certificate([0, 0, 2, 3, 5, 6], message))),
    ).toMatchObject({
      reason: 'NOT_ENOUGH_SIGNERS',
    });
    const outOfRange = { ...certificate(QUORUM_OF_TWO, message), signers: [0, 1, 7] };
    expect(chainError(() => ledger.certifyBlob(blob.id, outOfRange))).toMatchObject({
      httpStatus: 400,
      reason: 'INVALID_CERTIFICATE',
    });
    expect(ledger.getBlob(blob.id).certifiedEpoch).toBeNull();
    expect(eventsOf(ledger).some((e) => e.type === 'BlobCertified')).toBe(false);
  });

  it('rejects an aggregate signature that does not verify', () => {
    const ledger = newLedger();
    const blob = register(ledger, ledger.fundAccount().address);
    const message = messageFor(blob, 1);
    // Node 1 signed the confirmation of another epoch.
    const mixed = certificate([0, 1, 2], message, { 1: messageFor(blob, 2) });
    expect(chainError(() => ledger.certifyBlob(blob.id, mixed))).toMatchObject({
      httpStatus: 400,
      reason: 'INVALID_SIGNATURE',
    });
    // Node 2 is claimed as a signer but did not sign.
    const claimed = { ...certificate([0, 1], message), signers: [0, 1, 2] };
    expect(chainError(() => ledger.certifyBlob(blob.id, claimed))).toMatchObject({
      reason: 'INVALID_SIGNATURE',
    });
    // Signatures from the right nodes, attributed to the wrong members.
    const swapped = { ...certificate([0, 1], message), signers: [0, 2, 3, 4, 6] };
    expect(chainError(() => ledger.certifyBlob(blob.id, swapped))).toMatchObject({
      reason: 'INVALID_SIGNATURE',
    });
    // Not a curve point at all.
    const garbage = {
      signers: QUORUM_OF_TWO,
      serializedMessage: message,
      signature: new Uint8Array(96).fill(7),
    };
    expect(chainError(() => ledger.certifyBlob(blob.id, garbage))).toMatchObject({
      reason: 'INVALID_SIGNATURE',
    });
    expect(ledger.getBlob(blob.id).certifiedEpoch).toBeNull();
  });

  it('rejects well-signed certificates for another epoch, blob, or persistence', () => {
    const ledger = newLedger();
    const sender = ledger.fundAccount().address;
    const permanent = register(ledger, sender);
    const deletable = register(ledger, sender, { deletable: true });
    const otherDeletable = register(ledger, sender, { deletable: true });
    const wrong = (objectId: string, message: Uint8Array) =>
      chainError(() => ledger.certifyBlob(objectId, certificate(QUORUM_OF_TWO, message)));

    expect(wrong(permanent.id, messageFor(permanent, 2))).toMatchObject({
      httpStatus: 400,
      reason: 'INVALID_CERTIFICATE',
    });
    expect(wrong(permanent.id, messageFor(permanent, 0))).toMatchObject({ reason: 'INVALID_CERTIFICATE' });
    expect(wrong(permanent.id, messageFor(deletable, 1, { kind: 'permanent' }))).toMatchObject({
      reason: 'INVALID_CERTIFICATE',
    });
    expect(
      wrong(
        permanent.id,
        messageFor(permanent, 1, { kind: 'deletable', objectId: hexToBytes(permanent.id) }),
      ),
    ).toMatchObject({ reason: 'INVALID_CERTIFICATE' });
    expect(wrong(deletable.id, messageFor(deletable, 1, { kind: 'permanent' }))).toMatchObject({
      reason: 'INVALID_CERTIFICATE',
    });
    // The confirmation of the same blob ID, but for another deletable object.
    expect(wrong(deletable.id, messageFor(deletable, 1, persistenceOf(otherDeletable)))).toMatchObject({
      reason: 'INVALID_CERTIFICATE',
    });
    expect(
      chainError(() =>
        ledger.certifyBlob(permanent.id, {
          signers: QUORUM_OF_TWO,
          serializedMessage: new Uint8Array([1, 2, 3]),
          signature: new Uint8Array(96),
        }),
      ),
    ).toMatchObject({ httpStatus: 400, reason: 'INVALID_CERTIFICATE' });
    expect(eventsOf(ledger).some((e) => e.type === 'BlobCertified')).toBe(false);

    expect(
      ledger.certifyBlob(deletable.id, certificate(QUORUM_OF_TWO, messageFor(deletable, 1))).certifiedEpoch,
    ).toBe(1);
    expect(ledger.getBlob(otherDeletable.id).certifiedEpoch).toBeNull();
  });

  it('is idempotent once certified, and refuses unknown, deleted and expired objects', () => {
    const ledger = newLedger();
    const sender = ledger.fundAccount().address;
    const blob = register(ledger, sender, { epochs: 1 });
    ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 1)));
    const again = ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 1)));
    expect(again.certifiedEpoch).toBe(1);
    expect(eventsOf(ledger).filter((e) => e.type === 'BlobCertified')).toHaveLength(1);

    expect(
      chainError(() =>
        ledger.certifyBlob(`0x${'12'.repeat(32)}`, certificate(QUORUM_OF_TWO, messageFor(blob, 1))),
      ),
    ).toMatchObject({
      httpStatus: 404,
      reason: 'OBJECT_NOT_FOUND',
    });
    const deleted = register(ledger, sender, { deletable: true });
    ledger.deleteBlob(deleted.id, sender);
    expect(
      chainError(() => ledger.certifyBlob(deleted.id, certificate(QUORUM_OF_TWO, messageFor(deleted, 1)))),
    ).toMatchObject({
      httpStatus: 404,
    });

    const expiring = register(ledger, sender, { epochs: 1 });
    ledger.advanceEpoch();
    expect(
      chainError(() => ledger.certifyBlob(expiring.id, certificate(QUORUM_OF_TWO, messageFor(expiring, 2)))),
    ).toMatchObject({
      httpStatus: 400,
      reason: 'BLOB_EXPIRED',
    });
  });

  it('certifies in the current epoch after epochs advance', () => {
    const ledger = newLedger();
    const blob = register(ledger, ledger.fundAccount().address, { epochs: 5 });
    ledger.advanceEpoch();
    ledger.advanceEpoch();
    expect(
      chainError(() => ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 1)))),
    ).toMatchObject({
      reason: 'INVALID_CERTIFICATE',
    });
    expect(ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 3))).certifiedEpoch).toBe(
      3,
    );
    expect(ledger.committee.epoch).toBe(3);
  });
});

describe('DevnetLedger: blob status, expiry, extension, deletion, attributes', () => {
  it('reports permanent blobs: nonexistent, registered, certified, the furthest end epoch', () => {
    const ledger = newLedger();
    const sender = ledger.fundAccount().address;
    const root = rootHash();
    const blob = register(ledger, sender, { root, epochs: 2 });
    const unknown = formatBlobId(rootHash());
    expect(ledger.blobStatus(unknown)).toBe('nonexistent');
    expect(ledger.isRegistered(unknown)).toBe(false);

    expect(ledger.blobStatus(blob.blobId)).toMatchObject({
      permanent: {
        endEpoch: 3,
        isCertified: false,
        initialCertifiedEpoch: null,
        deletableCounts: { count_deletable_total: 0, count_deletable_certified: 0 },
      },
    });
    expect(ledger.isRegistered(blob.blobId)).toBe(true);
    expect(ledger.isCertified(blob.blobId)).toBe(false);

    ledger.advanceEpoch();
    ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 2)));
    const certifiedEvent = eventsOf(ledger).find((e) => e.type === 'BlobCertified')!;
    expect(ledger.blobStatus(blob.blobId)).toMatchObject({
      permanent: {
        endEpoch: 3,
        isCertified: true,
        initialCertifiedEpoch: 2,
        // Named as Sui names events: the transaction's digest in base58, the event's index in it.
        statusEvent: { txDigest: toBase58(hexToBytes(certifiedEvent.txDigest)), eventSeq: '0' },
      },
    });
    expect(ledger.isCertified(blob.blobId)).toBe(true);

    // A second, longer registration of the same blob ID extends the status's end epoch.
    const longer = register(ledger, sender, { root, epochs: 5 });
    expect(longer.blobId).toBe(blob.blobId);
    expect(
      ledger
        .blobsById(blob.blobId)
        .map((b) => b.id)
        .sort(),
    ).toEqual([blob.id, longer.id].sort());
    expect(ledger.blobStatus(blob.blobId)).toMatchObject({
      permanent: { endEpoch: 7, isCertified: true, initialCertifiedEpoch: 2 },
    });
  });

  it('reports deletable objects by count, and permanent status carries their counts', () => {
    const ledger = newLedger();
    const sender = ledger.fundAccount().address;
    const root = rootHash();
    const first = register(ledger, sender, { root, deletable: true });
    const second = register(ledger, sender, { root, deletable: true });
    expect(ledger.blobStatus(first.blobId)).toEqual({
      deletable: {
        initialCertifiedEpoch: null,
        deletableCounts: { count_deletable_total: 2, count_deletable_certified: 0 },
      },
    });
    expect(ledger.isCertified(first.blobId)).toBe(false);
    ledger.certifyBlob(second.id, certificate(QUORUM_OF_TWO, messageFor(second, 1)));
    expect(ledger.blobStatus(first.blobId)).toEqual({
      deletable: {
        initialCertifiedEpoch: 1,
        deletableCounts: { count_deletable_total: 2, count_deletable_certified: 1 },
      },
    });
    expect(ledger.isCertified(first.blobId)).toBe(true);

    const permanent = register(ledger, sender, { root });
    expect(ledger.blobStatus(first.blobId)).toMatchObject({
      permanent: {
        isCertified: false,
        initialCertifiedEpoch: 1,
        deletableCounts: { count_deletable_total: 2, count_deletable_certified: 1 },
      },
    });
    // Served because a certified deletable object stores it, though no permanent one is certified.
    expect(ledger.isCertified(permanent.blobId)).toBe(true);

    ledger.deleteBlob(second.id, sender);
    expect(ledger.blobStatus(first.blobId)).toMatchObject({
      permanent: {
        initialCertifiedEpoch: null,
        deletableCounts: { count_deletable_total: 1, count_deletable_certified: 0 },
      },
    });
    expect(ledger.isCertified(first.blobId)).toBe(false);
    ledger.deleteBlob(first.id, sender);
    expect(ledger.blobStatus(first.blobId)).toMatchObject({
      permanent: { deletableCounts: { count_deletable_total: 0 } },
    });
  });

  it('expires blobs when the epoch reaches their end epoch', () => {
    const ledger = newLedger();
    const sender = ledger.fundAccount().address;
    const blob = register(ledger, sender, { epochs: 2 }); // end epoch 3, exclusive
    ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 1)));
    expect(ledger.advanceEpoch()).toBe(2);
    expect(ledger.isCertified(blob.blobId)).toBe(true);
    expect(ledger.advanceEpoch()).toBe(3);
    expect(ledger.blobStatus(blob.blobId)).toBe('nonexistent');
    expect(ledger.isCertified(blob.blobId)).toBe(false);
    expect(ledger.isRegistered(blob.blobId)).toBe(false);
    // The object still exists, but nothing can be done with it.
    expect(ledger.blobsById(blob.blobId)).toHaveLength(1);
    expect(chainError(() => ledger.extendBlob(blob.id, sender, 1))).toMatchObject({ reason: 'BLOB_EXPIRED' });
    expect(chainError(() => ledger.setAttributes(blob.id, sender, { a: 'b' }))).toMatchObject({
      reason: 'BLOB_EXPIRED',
    });
  });

  it('extends certified blobs, charging storage for the added epochs plus gas', () => {
    const ledger = newLedger();
    const sender = ledger.fundAccount().address;
    const size = 2 * MIB;
    const blob = register(ledger, sender, { size, epochs: 2 });
    expect(chainError(() => ledger.extendBlob(blob.id, sender, 1))).toMatchObject({
      httpStatus: 400,
      reason: 'NOT_CERTIFIED',
    });
    ledger.certifyBlob(blob.id, certificate(QUORUM_OF_TWO, messageFor(blob, 1)));

    const before = ledger.getAccount(sender);
    const units = BigInt(storageCost(size, N, 1, PRICES).units);
    const extended = ledger.extendBlob(blob.id, sender, 4);
    expect(extended.storage.endEpoch).toBe(7);
    expect(ledger.getBlob(blob.id).storage.endEpoch).toBe(7);
    const after = ledger.getAccount(sender);
    expect(BigInt(before.wal) - BigInt(after.wal)).toBe(units * 1234n * 4n);
    expect(BigInt(before.sui) - BigInt(after.sui)).toBe(1000n);
    expect(ledger.blobStatus(blob.blobId)).toMatchObject({ permanent: { endEpoch: 7 } });
    expect(eventsOf(ledger).at(-1)).toMatchObject({
      type: 'BlobExtended',
      data: { objectId: blob.id, endEpoch: 7 },
    });

    // At most maxEpochsAhead beyond the current epoch, and nothing is charged for a refused extension.
    const allowed = DEFAULT_CHAIN_PARAMS.maxEpochsAhead - (7 - 1);
    expect(chainError(() => ledger.extendBlob(blob.id, sender, allowed + 1))).toMatchObject({
      reason: 'INVALID_EPOCHS',
    });
    expect(chainError(() => ledger.extendBlob(blob.id, sender, 0))).toMatchObject({
      reason: 'INVALID_EPOCHS',
    });
    expect(ledger.getAccount(sender)).toEqual(after);
    expect(ledger.extendBlob(blob.id, sender, allowed).storage.endEpoch).toBe(
      1 + DEFAULT_CHAIN_PARAMS.maxEpochsAhead,
    );

    const poor = newLedger({ params: { faucetWal: storageCost(1000, N, 1, PRICES).total.toString() } });
    const poorSender = poor.fundAccount().address;
    const poorBlob = register(poor, poorSender, { epochs: 1 });
    poor.certifyBlob(poorBlob.id, certificate(QUORUM_OF_TWO, messageFor(poorBlob, 1)));
    expect(chainError(() => poor.extendBlob(poorBlob.id, poorSender, 1))).toMatchObject({
      httpStatus: 402,
      reason: 'INSUFFICIENT_WAL',
    });
    expect(poor.getBlob(poorBlob.id).storage.endEpoch).toBe(2);
  });

  it('deletes only deletable blobs, and only for their owner', () => {
    const ledger = newLedger();
    const owner = ledger.fundAccount().address;
    const stranger = ledger.fundAccount().address;
    const permanent = register(ledger, owner);
    const deletable = register(ledger, owner, { deletable: true });
    ledger.certifyBlob(deletable.id, certificate(QUORUM_OF_TWO, messageFor(deletable, 1)));

    expect(chainError(() => ledger.deleteBlob(deletable.id, stranger))).toMatchObject({
      httpStatus: 403,
      reason: 'NOT_OWNER',
    });
    expect(chainError(() => ledger.deleteBlob(permanent.id, owner))).toMatchObject({
      httpStatus: 400,
      reason: 'NOT_DELETABLE',
    });
    expect(ledger.isCertified(deletable.blobId)).toBe(true);

    expect(ledger.deleteBlob(deletable.id, owner).deleted).toBe(true);
    expect(ledger.getBlob(deletable.id).deleted).toBe(true);
    expect(eventsOf(ledger).at(-1)).toMatchObject({
      type: 'BlobDeleted',
      data: { objectId: deletable.id, wasCertified: true },
    });
    expect(ledger.blobStatus(deletable.blobId)).toBe('nonexistent');
    expect(chainError(() => ledger.deleteBlob(deletable.id, owner))).toMatchObject({ httpStatus: 404 });
    expect(ledger.getBlob(permanent.id).deleted).toBe(false);
  });

  it('lets only the owner set and remove attributes', () => {
    const ledger = newLedger();
    const owner = ledger.fundAccount().address;
    const stranger = ledger.fundAccount().address;
    const blob = register(ledger, owner);
    const set = ledger.setAttributes(blob.id, owner, { 'content-type': 'image/png', name: 'cat' });
    expect(set.attributes).toEqual({ 'content-type': 'image/png', name: 'cat' });
    expect(chainError(() => ledger.setAttributes(blob.id, stranger, { name: 'dog' }))).toMatchObject({
      httpStatus: 403,
      reason: 'NOT_OWNER',
    });
    expect(chainError(() => ledger.setAttributes(blob.id, stranger, {}, ['name']))).toMatchObject({
      reason: 'NOT_OWNER',
    });
    expect(ledger.getBlob(blob.id).attributes).toEqual({ 'content-type': 'image/png', name: 'cat' });

    const changed = ledger.setAttributes(blob.id, owner, { name: 'lion', size: 'big' }, [
      'content-type',
      'absent',
    ]);
    expect(changed.attributes).toEqual({ name: 'lion', size: 'big' });
    expect(ledger.getBlob(blob.id).attributes).toEqual({ name: 'lion', size: 'big' });
  });

  it('returns snapshots that later changes do not rewrite', () => {
    const ledger = newLedger();
    const owner = ledger.fundAccount().address;
    const registered = register(ledger, owner, { deletable: true });
    const listed = ledger.blobsById(registered.blobId)[0]!;
    const withAttributes = ledger.setAttributes(registered.id, owner, { a: '1' });
    const certified = ledger.certifyBlob(
      registered.id,
      certificate(QUORUM_OF_TWO, messageFor(registered, 1)),
    );
    ledger.extendBlob(registered.id, owner, 3);
    ledger.setAttributes(registered.id, owner, { b: '2' }, ['a']);
    ledger.deleteBlob(registered.id, owner);

    expect(registered.storage.endEpoch).toBe(3);
    expect(certified.storage.endEpoch).toBe(3);
    expect(withAttributes.attributes).toEqual({ a: '1' });
    expect(listed).toMatchObject({ deleted: false, certifiedEpoch: null, storage: { endEpoch: 3 } });

    // And mutating a returned object does not reach into the ledger.
    const current = ledger.getBlob(registered.id);
    current.storage.endEpoch = 99;
    ledger.blobsById(registered.blobId)[0]!.storage.endEpoch = 98;
    expect(ledger.getBlob(registered.id).storage.endEpoch).toBe(6);
  });
});

describe('DevnetLedger: events', () => {
  it('records every change in order, pages them, and notifies listeners', () => {
    const ledger = newLedger();
    const seen: ChainEvent[] = [];
    const unsubscribe = ledger.onEvent((event) => seen.push(event));
    const owner = ledger.fundAccount().address;
    const permanent = register(ledger, owner, { epochs: 3 });
    ledger.certifyBlob(permanent.id, certificate(QUORUM_OF_TWO, messageFor(permanent, 1)));
    ledger.extendBlob(permanent.id, owner, 2);
    const deletable = register(ledger, owner, { deletable: true });
    ledger.deleteBlob(deletable.id, owner);
    ledger.advanceEpoch();
    ledger.setAttributes(permanent.id, owner, { a: 'b' }); // not an event

    const events = eventsOf(ledger);
    expect(events.map((e) => e.type)).toEqual([
      'BlobRegistered',
      'BlobCertified',
      'BlobExtended',
      'BlobRegistered',
      'BlobDeleted',
      'EpochChangeDone',
    ]);
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(events.map((e) => e.txDigest)).size).toBe(events.length);
    expect(events.map((e) => e.epoch)).toEqual([1, 1, 1, 1, 1, 2]);
    expect(events[0]).toMatchObject({
      data: { objectId: permanent.id, blobId: permanent.blobId, size: 1000, endEpoch: 4, deletable: false },
    });
    expect(events[2]).toMatchObject({ data: { endEpoch: 6 } });
    expect(events[3]).toMatchObject({ data: { objectId: deletable.id, deletable: true } });
    expect(events[4]).toMatchObject({ data: { objectId: deletable.id, wasCertified: false } });
    expect(events[5]).toMatchObject({ data: { epoch: 2 } });
    expect(seen).toEqual(events);

    // Paging with a limit walks the same list without gaps or repeats.
    const paged: ChainEvent[] = [];
    for (
      let after = -1, page = ledger.eventsAfter(after, 4);
      page.length > 0;
      page = ledger.eventsAfter(after, 4)
    ) {
      expect(page.length).toBeLessThanOrEqual(4);
      paged.push(...page);
      after = page.at(-1)!.seq;
    }
    expect(paged).toEqual(events);
    expect(ledger.eventsAfter(2, 2).map((e) => e.seq)).toEqual([3, 4]);
    expect(ledger.eventsAfter(5)).toEqual([]);

    unsubscribe();
    ledger.advanceEpoch();
    expect(seen).toHaveLength(6);
    expect(eventsOf(ledger)).toHaveLength(7);
  });
});

describe('DevnetLedger: persistence', () => {
  const dirs: { remove(): void }[] = [];
  afterAll(() => dirs.forEach((d) => d.remove()));

  it('comes back from its state file with the same epoch, accounts, blobs and events', () => {
    const dir = tempDir('chain');
    dirs.push(dir);
    const statePath = join(dir.path, 'nested', 'chain', 'state.json');
    const first = newLedger({ statePath, params: { storagePricePerUnit: '777' } });
    const owner = first.fundAccount().address;
    const certified = register(first, owner, { epochs: 4 });
    first.certifyBlob(certified.id, certificate(QUORUM_OF_TWO, messageFor(certified, 1)));
    first.setAttributes(certified.id, owner, { 'content-type': 'text/plain' });
    const deleted = register(first, owner, { deletable: true });
    first.deleteBlob(deleted.id, owner);
    first.advanceEpoch();
    const pending = register(first, owner, { epochs: 3 });

    const second = newLedger({ statePath });
    expect(second.epoch).toBe(2);
    expect(second.committee.epoch).toBe(2);
    expect(second.params).toEqual(first.params);
    expect(second.params.storagePricePerUnit).toBe('777');
    expect(second.getAccount(owner)).toEqual(first.getAccount(owner));
    for (const blob of [certified, deleted, pending])
      expect(second.getBlob(blob.id)).toEqual(first.getBlob(blob.id));
    expect(second.getBlob(certified.id).attributes).toEqual({ 'content-type': 'text/plain' });
    expect(second.blobStatus(certified.blobId)).toEqual(first.blobStatus(certified.blobId));
    expect(eventsOf(second)).toEqual(eventsOf(first));

    // The restarted chain carries on: it certifies in its epoch and continues the event sequence.
    second.certifyBlob(pending.id, certificate(QUORUM_OF_TWO, messageFor(pending, 2)));
    const events = eventsOf(second);
    expect(events.at(-1)).toMatchObject({ type: 'BlobCertified', seq: events.at(-2)!.seq + 1 });
    expect(newLedger({ statePath }).getBlob(pending.id).certifiedEpoch).toBe(2);

    expect(() => new DevnetLedger(makeCommittee(10), { statePath })).toThrow(/shards/);
  });
});

describe('DevnetLedger: epochs by the clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tick() advances one epoch per elapsed epoch duration, and only with a duration', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = 1_700_000_000_000;
    vi.setSystemTime(start);
    const minute = 60_000;
    const ledger = newLedger({ params: { epochDurationMs: minute } });
    ledger.tick(start + minute - 1);
    expect(ledger.epoch).toBe(1);
    ledger.tick(start + 3 * minute + 500);
    expect(ledger.epoch).toBe(4);
    expect(eventsOf(ledger).map((e) => [e.type, e.data.epoch])).toEqual([
      ['EpochChangeDone', 2],
      ['EpochChangeDone', 3],
      ['EpochChangeDone', 4],
    ]);
    // Epoch 4 began at start + 3 minutes, not when tick() happened to run.
    ledger.tick(start + 3 * minute + 500);
    expect(ledger.epoch).toBe(4);
    ledger.tick(start + 4 * minute - 1);
    expect(ledger.epoch).toBe(4);
    ledger.tick(start + 4 * minute);
    expect(ledger.epoch).toBe(5);

    const manual = newLedger();
    manual.tick(start + 1000 * minute);
    expect(manual.epoch).toBe(1);
  });

  it('catches up on the epochs that passed while it was stopped', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = 1_700_000_000_000;
    vi.setSystemTime(start);
    const dir = tempDir('chain-clock');
    try {
      const statePath = join(dir.path, 'state.json');
      newLedger({ statePath, params: { epochDurationMs: 1000 } });
      vi.setSystemTime(start + 10_500);
      const restarted = newLedger({ statePath });
      expect(restarted.epoch).toBe(1);
      restarted.tick();
      expect(restarted.epoch).toBe(11);
    } finally {
      dir.remove();
    }
  });
});

interface ApiErrorJson {
  error: {
    code: number;
    status: string;
    message: string;
    details: { '@type': string; reason: string; domain: string }[];
  };
}

async function expectApiError(response: Response, status: number, reason?: string): Promise<ApiErrorJson> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ApiErrorJson;
  expect(body.error.code).toBe(status);
  expect(body.error.status).toMatch(/^[A-Z_]+$/);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.details).toHaveLength(1);
  expect(body.error.details[0]).toMatchObject({ '@type': 'ErrorInfo', domain: 'devnet.chain' });
  expect(body.error.details[0]!.reason).toMatch(/^[A-Z_]+$/);
  if (reason) expect(body.error.details[0]!.reason).toBe(reason);
  return body;
}

describe('chain HTTP API', () => {
  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  it('registers, certifies, reports and advances over HTTP', async () => {
    const ledger = newLedger();
    const app = createChainApp(ledger);
    let response = await app.request('/v1/accounts', json('POST', {}));
    expect(response.status).toBe(201);
    const { address } = (await response.json()) as { address: string };
    expect(ledger.getAccount(address).wal).toBe(DEFAULT_CHAIN_PARAMS.faucetWal);
    response = await app.request(`/v1/accounts/${address}`);
    expect(await response.json()).toEqual(ledger.getAccount(address));

    response = await app.request('/v1/quote?size=123456&epochs=4');
    expect(await response.json()).toEqual(ledger.quote(123456, 4));
    expect(((await (await app.request('/v1/quote?size=10')).json()) as { total: string }).total).toBe(
      ledger.quote(10, 1).total,
    );

    const data = randomBytes(3000, 5);
    const encoded = encodeBlob(data, N);
    response = await app.request(
      '/v1/blobs',
      json('POST', {
        sender: address,
        rootHash: bytesToBase64(encoded.rootHash),
        size: data.length,
        epochs: 2,
      }),
    );
    expect(response.status).toBe(201);
    const blob = (await response.json()) as BlobObject;
    expect(blob).toMatchObject({ blobId: formatBlobId(encoded.blobId), deletable: false, owner: address });
    expect(ledger.getAccount(address).wal).toBe(
      (BigInt(DEFAULT_CHAIN_PARAMS.faucetWal) - storageCost(data.length, N, 2, PRICES).total).toString(),
    );

    const cert = certificate(QUORUM_OF_TWO, messageFor(blob, 1));
    response = await app.request(
      `/v1/blobs/${blob.id}/certify`,
      json('POST', {
        signers: cert.signers,
        serializedMessage: bytesToBase64(cert.serializedMessage),
        signature: bytesToBase64(cert.signature),
      }),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as BlobObject).certifiedEpoch).toBe(1);

    response = await app.request(`/v1/blob-ids/${blob.blobId}`);
    const byId = (await response.json()) as { blobId: string; status: unknown; objects: BlobObject[] };
    expect(byId.status).toMatchObject({ permanent: { isCertified: true, endEpoch: 3 } });
    expect(byId.objects.map((o) => o.id)).toEqual([blob.id]);

    response = await app.request(
      `/v1/blobs/${blob.id}/attributes`,
      json('PUT', { sender: address, set: { k: 'v' } }),
    );
    expect(((await response.json()) as BlobObject).attributes).toEqual({ k: 'v' });

    response = await app.request('/v1/events?after=0&limit=1');
    expect(((await response.json()) as { events: ChainEvent[] }).events).toMatchObject([
      { seq: 1, type: 'BlobCertified' },
    ]);
    response = await app.request('/v1/events');
    expect(((await response.json()) as { events: ChainEvent[] }).events.map((e) => e.seq)).toEqual([0, 1]);

    response = await app.request('/v1/epoch/advance', { method: 'POST' });
    expect(await response.json()).toEqual({ epoch: 2 });
    expect(((await (await app.request('/v1/state')).json()) as { epoch: number }).epoch).toBe(2);
    const committee = (await (await app.request('/v1/committee')).json()) as Committee;
    expect(committee.epoch).toBe(2);
    expect(committee.nodes.map((n) => n.shards.length)).toEqual(SHARD_COUNTS);
  });

  it('maps chain errors to their status and reason', async () => {
    const ledger = newLedger({ params: { faucetWal: '5' } });
    const app = createChainApp(ledger);
    const sender = ledger.fundAccount().address;
    const post = (body: object) =>
      app.request(
        '/v1/blobs',
        json('POST', { sender, rootHash: bytesToBase64(rootHash()), size: 100, epochs: 1, ...body }),
      );
    const body = await expectApiError(await post({}), 402, 'INSUFFICIENT_WAL');
    expect(body.error.status).toBe('FAILED_PRECONDITION');
    expect(ledger.getAccount(sender).wal).toBe('5');
    await expectApiError(await post({ sender: `0x${'00'.repeat(32)}` }), 404, 'ACCOUNT_NOT_FOUND');
    await expectApiError(
      await post({ rootHash: bytesToBase64(new Uint8Array(31)) }),
      400,
      'INVALID_ROOT_HASH',
    );
    await expectApiError(await post({ epochs: 1000 }), 400, 'INVALID_EPOCHS');
    await expectApiError(await post({ encodingType: 2 }), 400, 'INVALID_ENCODING');

    const rich = newLedger();
    const richApp = createChainApp(rich);
    const owner = rich.fundAccount().address;
    const blob = register(rich, owner, { size: 1, epochs: 1 });
    const stranger = rich.fundAccount().address;
    await expectApiError(
      await richApp.request(`/v1/blobs/${blob.id}/delete`, json('POST', { sender: stranger })),
      403,
      'NOT_OWNER',
    );
    await expectApiError(
      await richApp.request(`/v1/blobs/${blob.id}/delete`, json('POST', { sender: owner })),
      400,
      'NOT_DELETABLE',
    );
    await expectApiError(
      await richApp.request(`/v1/blobs/${blob.id}/extend`, json('POST', { sender: owner, epochs: 1 })),
      400,
      'NOT_CERTIFIED',
    );
    await expectApiError(
      await richApp.request(
        `/v1/blobs/${blob.id}/attributes`,
        json('PUT', { sender: stranger, set: { a: 'b' } }),
      ),
      403,
      'NOT_OWNER',
    );
    const mixed = certificate([0, 1], messageFor(blob, 1), { 0: messageFor(blob, 2) });
    const certifyBody = (cert: typeof mixed) => ({
      signers: cert.signers,
      serializedMessage: bytesToBase64(cert.serializedMessage),
      signature: bytesToBase64(cert.signature),
    });
    await expectApiError(
      await richApp.request(`/v1/blobs/${blob.id}/certify`, json('POST', certifyBody(mixed))),
      400,
      'INVALID_SIGNATURE',
    );
    const weak = certificate([2, 3, 4, 5, 6], messageFor(blob, 1));
    await expectApiError(
      await richApp.request(`/v1/blobs/${blob.id}/certify`, json('POST', certifyBody(weak))),
      400,
      'NOT_ENOUGH_SIGNERS',
    );
    expect(rich.getBlob(blob.id).certifiedEpoch).toBeNull();
  });

  it('answers malformed requests with 4xx AIP-193 errors, never 500', async () => {
    const ledger = newLedger();
    const app = createChainApp(ledger);
    const sender = ledger.fundAccount().address;
    const blob = register(ledger, sender);
    const unknownObject = `0x${'42'.repeat(32)}`;
    const goodRoot = bytesToBase64(rootHash());
    const goodCertify = {
      signers: [0, 1],
      serializedMessage: bytesToBase64(messageFor(blob, 1)),
      signature: bytesToBase64(new Uint8Array(96)),
    };
    const cases: [string, string, RequestInit | undefined, number, string?][] = [
      ['accounts: broken JSON', '/v1/accounts', json('POST', '{"address":'), 400, 'INVALID_REQUEST'],
      [
        'accounts: upper-case address',
        '/v1/accounts',
        json('POST', { address: `0x${'AB'.repeat(32)}` }),
        400,
      ],
      ['accounts: address not a string', '/v1/accounts', json('POST', { address: 5 }), 400],
      ['accounts: body is an array', '/v1/accounts', json('POST', '[]'), 400],
      ['accounts: unknown', `/v1/accounts/${unknownObject}`, undefined, 404, 'ACCOUNT_NOT_FOUND'],
      ['accounts: not an address', '/v1/accounts/nobody', undefined, 404],
      ['quote: no size', '/v1/quote', undefined, 400],
      ['quote: size not a number', '/v1/quote?size=big', undefined, 400],
      ['quote: negative size', '/v1/quote?size=-1', undefined, 400],
      ['quote: fractional size', '/v1/quote?size=1.5', undefined, 400],
      ['quote: zero epochs', '/v1/quote?size=10&epochs=0', undefined, 400],
      ['quote: larger than any blob', `/v1/quote?size=${maxBlobSize(N) + 1}`, undefined, 400],
      ['quote: too many epochs', '/v1/quote?size=10&epochs=100000', undefined, 400],
      ['register: empty body', '/v1/blobs', { method: 'POST' }, 400],
      ['register: broken JSON', '/v1/blobs', json('POST', '{'), 400, 'INVALID_REQUEST'],
      ['register: null', '/v1/blobs', json('POST', 'null'), 400],
      ['register: missing root hash', '/v1/blobs', json('POST', { sender, size: 1, epochs: 1 }), 400],
      [
        'register: size as string',
        '/v1/blobs',
        json('POST', { sender, rootHash: goodRoot, size: '1', epochs: 1 }),
        400,
      ],
      [
        'register: bad sender',
        '/v1/blobs',
        json('POST', { sender: 'me', rootHash: goodRoot, size: 1, epochs: 1 }),
        400,
      ],
      [
        'register: root not base64',
        '/v1/blobs',
        json('POST', { sender, rootHash: '!!', size: 1, epochs: 1 }),
        400,
      ],
      [
        'register: root truncated base64',
        '/v1/blobs',
        json('POST', { sender, rootHash: 'A', size: 1, epochs: 1 }),
        400,
      ],
      [
        'register: root misplaced padding',
        '/v1/blobs',
        json('POST', { sender, rootHash: 'AB=', size: 1, epochs: 1 }),
        400,
      ],
      [
        'register: huge size',
        '/v1/blobs',
        json('POST', { sender, rootHash: goodRoot, size: 2 ** 60, epochs: 1 }),
        400,
      ],
      ['blob: bad object ID', '/v1/blobs/0x1234', undefined, 400],
      ['blob: unknown object', `/v1/blobs/${unknownObject}`, undefined, 404, 'OBJECT_NOT_FOUND'],
      ['certify: bad object ID', '/v1/blobs/not-an-object/certify', json('POST', goodCertify), 400],
      [
        'certify: unknown object',
        `/v1/blobs/${unknownObject}/certify`,
        json('POST', goodCertify),
        404,
        'OBJECT_NOT_FOUND',
      ],
      ['certify: broken JSON', `/v1/blobs/${blob.id}/certify`, json('POST', '{"signers":[0'), 400],
      [
        'certify: no signers',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, signers: [] }),
        400,
      ],
      [
        'certify: negative signer',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, signers: [-1] }),
        400,
      ],
      [
        'certify: signer out of range',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, signers: [0, 1, 9] }),
        400,
      ],
      [
        'certify: missing signature',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, signature: undefined }),
        400,
      ],
      [
        'certify: signature truncated base64',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, signature: 'A' }),
        400,
      ],
      [
        'certify: message not base64',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, serializedMessage: '%%' }),
        400,
      ],
      [
        'certify: message garbage',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, serializedMessage: 'AAAA' }),
        400,
        'INVALID_CERTIFICATE',
      ],
      [
        'certify: short signature',
        `/v1/blobs/${blob.id}/certify`,
        json('POST', { ...goodCertify, signature: 'AAAA' }),
        400,
        'INVALID_SIGNATURE',
      ],
      ['extend: zero epochs', `/v1/blobs/${blob.id}/extend`, json('POST', { sender, epochs: 0 }), 400],
      ['extend: no sender', `/v1/blobs/${blob.id}/extend`, json('POST', { epochs: 1 }), 400],
      ['delete: broken JSON', `/v1/blobs/${blob.id}/delete`, json('POST', '{'), 400],
      ['delete: bad object ID', '/v1/blobs/0xzz/delete', json('POST', { sender }), 400],
      [
        'attributes: non-string value',
        `/v1/blobs/${blob.id}/attributes`,
        json('PUT', { sender, set: { a: 1 } }),
        400,
      ],
      [
        'attributes: remove not a list',
        `/v1/blobs/${blob.id}/attributes`,
        json('PUT', { sender, remove: 'a' }),
        400,
      ],
      ['blob ID: not an ID', '/v1/blob-ids/not-an-id', undefined, 400],
      ['blob ID: 44 characters', `/v1/blob-ids/${'A'.repeat(44)}`, undefined, 400],
      ['blob ID: non-canonical', `/v1/blob-ids/${'A'.repeat(42)}B`, undefined, 400],
      ['events: after not a number', '/v1/events?after=x', undefined, 400],
      ['events: zero limit', '/v1/events?limit=0', undefined, 400],
      ['events: limit too large', '/v1/events?limit=5000', undefined, 400],
      ['unknown route', '/v1/nothing-here', undefined, 404, 'ROUTE_NOT_FOUND'],
      ['wrong method', '/v1/blobs', { method: 'DELETE' }, 404],
    ];
    const before = ledger.getAccount(sender);
    const failures: string[] = [];
    for (const [name, path, init, status, reason] of cases) {
      const response = await app.request(path, init);
      await expectApiError(response, status, reason).catch((error: Error) =>
        failures.push(`${name}: ${error.message}`),
      );
    }
    expect(failures).toEqual([]);
    // None of it touched the ledger.
    expect(ledger.getAccount(sender)).toEqual(before);
    expect(ledger.getBlob(blob.id)).toEqual(blob);
    expect(eventsOf(ledger)).toHaveLength(1);
  });
});

describe('DevnetChainClient against a running devnet', () => {
  let devnet: RunningDevnet;
  const SHARDS = 10;

  beforeAll(async () => {
    devnet = await startTestDevnet({ nodes: 4, shards: SHARDS });
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  it('reads state, committee and quotes, and funds accounts', async () => {
    const chain = new DevnetChainClient(`${devnet.chainUrl}/`);
    expect(chain.url).toBe(devnet.chainUrl);
    expect((await chain.state()).epoch).toBe(devnet.ledger.epoch);
    const committee = await chain.committee();
    expect(committee.nShards).toBe(SHARDS);
    expect(committee.nodes.map((n) => [n.blsPublicKey, n.shards])).toEqual(
      devnet.committee.nodes.map((n) => [n.blsPublicKey, n.shards]),
    );
    const prices = {
      storagePricePerUnit: BigInt(DEFAULT_CHAIN_PARAMS.storagePricePerUnit),
      writePricePerUnit: BigInt(DEFAULT_CHAIN_PARAMS.writePricePerUnit),
    };
    const quote = await chain.quote(50_000, 3);
    const expected = storageCost(50_000, SHARDS, 3, prices);
    expect(quote).toMatchObject({
      units: expected.units,
      total: expected.total.toString(),
      write: expected.write.toString(),
    });

    const funded = await chain.fundAccount();
    expect(await chain.account(funded.address)).toEqual(funded);
    const chosen = `0x${'5a'.repeat(32)}`;
    expect((await chain.fundAccount(chosen)).address).toBe(chosen);
    expect(devnet.ledger.getAccount(chosen).wal).toBe(DEFAULT_CHAIN_PARAMS.faucetWal);
  });

  it('stores, inspects, extends and annotates a blob, paying exactly the quote', async () => {
    const data = randomBytes(20_000, 21);
    const stored = await storeOnDevnet(devnet, data, { epochs: 2 });
    const { chain, sender } = stored;
    expect(stored.blobId).toBe(formatBlobId(encodeBlob(data, SHARDS).blobId));
    expect(stored.blob.certifiedEpoch).toBe(devnet.ledger.epoch);
    const quote = await chain.quote(data.length, 2);
    const account = await chain.account(sender);
    expect(BigInt(account.wal)).toBe(BigInt(DEFAULT_CHAIN_PARAMS.faucetWal) - BigInt(quote.total));
    expect(BigInt(account.sui)).toBe(
      BigInt(DEFAULT_CHAIN_PARAMS.faucetSui) - BigInt(DEFAULT_CHAIN_PARAMS.gasPerTransaction),
    );

    const byId = await chain.blobsById(stored.blobId);
    expect(byId.status).toMatchObject({
      permanent: { isCertified: true, endEpoch: devnet.ledger.epoch + 2 },
    });
    expect(byId.objects.map((o) => o.id)).toEqual([stored.objectId]);

    const extended = await chain.extendBlob(stored.objectId, sender, 3);
    expect(extended.storage.endEpoch).toBe(devnet.ledger.epoch + 5);
    expect((await chain.blob(stored.objectId)).storage.endEpoch).toBe(extended.storage.endEpoch);
    const annotated = await chain.setAttributes(
      stored.objectId,
      sender,
      { 'content-type': 'image/webp', x: '1' },
      [],
    );
    expect(annotated.attributes).toEqual({ 'content-type': 'image/webp', x: '1' });
    expect((await chain.setAttributes(stored.objectId, sender, {}, ['x'])).attributes).toEqual({
      'content-type': 'image/webp',
    });
  });

  it('deletes a deletable blob, and surfaces chain errors as ChainRequestError', async () => {
    const stored = await storeOnDevnet(devnet, randomBytes(3000, 22), { deletable: true });
    const { chain, sender } = stored;
    expect(stored.blob.deletable).toBe(true);
    const { sender: stranger } = await fundedAccount(devnet);

    const notOwner = await chain.deleteBlob(stored.objectId, stranger).catch((error: unknown) => error);
    expect(notOwner).toBeInstanceOf(ChainRequestError);
    expect(notOwner).toMatchObject({ status: 403, reason: 'NOT_OWNER' });

    expect((await chain.deleteBlob(stored.objectId, sender)).deleted).toBe(true);
    expect((await chain.blobsById(stored.blobId)).status).toBe('nonexistent');
    await expect(chain.deleteBlob(stored.objectId, sender)).rejects.toMatchObject({
      status: 404,
      reason: 'OBJECT_NOT_FOUND',
    });
    await expect(chain.account(`0x${'99'.repeat(32)}`)).rejects.toMatchObject({
      status: 404,
      reason: 'ACCOUNT_NOT_FOUND',
    });
    await expect(chain.blobsById('not-an-id')).rejects.toMatchObject({ status: 400 });
    await expect(chain.blob('0x12')).rejects.toMatchObject({ status: 400, reason: 'INVALID_REQUEST' });
    await expect(
      chain.registerBlob({ sender, rootHash: new Uint8Array(32), size: 1, epochs: 10_000, deletable: false }),
    ).rejects.toMatchObject({ status: 400, reason: 'INVALID_EPOCHS' });
    // A proxy in front of the chain answering plain text: no reason, the raw text as message.
    const proxy = createServer((_, res) =>
      res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway'),
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const error = await new DevnetChainClient(`http://127.0.0.1:${port}`).state().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChainRequestError);
      expect(error).toMatchObject({ status: 502, reason: undefined });
      expect((error as Error).message).toContain('bad gateway');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('advances the epoch for the whole devnet', async () => {
    const chain = new DevnetChainClient(devnet.chainUrl);
    const before = devnet.ledger.epoch;
    expect(await chain.advanceEpoch()).toEqual({ epoch: before + 1 });
    expect((await chain.state()).epoch).toBe(before + 1);
    expect((await chain.committee()).epoch).toBe(before + 1);
    // A blob stored now is certified in the new epoch, by confirmations signed for it.
    const stored = await storeOnDevnet(devnet, randomBytes(500, 23), { epochs: 1 });
    expect(stored.blob.certifiedEpoch).toBe(before + 1);
  });
});
