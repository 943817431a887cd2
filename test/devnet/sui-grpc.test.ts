// The devnet speaks Sui (DESIGN §4): its grpc-web endpoint answers the stock SuiGrpcClient, and the
// official WalrusClient configured only from committee.json (suiUrl + packageConfig, no project code on
// its side) reads the devnet's committee and blobs. Interop beats self-consistency: the SDK's own
// transport and parsers are the witnesses, and the bytes are checked against the SDK's BCS layouts.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { bcs, type BcsType } from '@mysten/sui/bcs';
import { ObjectError } from '@mysten/sui/client';
import { GrpcTypes, GrpcWebFetchTransport, RpcError, SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { deriveDynamicFieldID } from '@mysten/sui/utils';
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { CommitteeSchema } from '../../src/network/committee.ts';
import { suiBlobLifetimes, walrusEventsModule } from '../../src/network/blob-lifetimes.ts';
import { parseWalrusEvent } from '../../src/network/sui/walrus-events.ts';
import { Balance, compressedG1, ObjectId } from '../../src/network/sui/walrus-objects.ts';
import { bytesToBase64 } from '../../src/protocol/base64.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';

const SHARDS = 100;
const NODES = 11; // ≥ 11: the SDK's metadata fallback crashes with 10 or fewer (DESIGN §7)

interface CommitteeFile {
  suiUrl: string;
  packageConfig: { systemObjectId: string; stakingPoolId: string };
}

function committeeFile(devnet: RunningDevnet): CommitteeFile {
  return JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as CommitteeFile;
}

/** The official SDK configured from committee.json alone; a fresh one per use (DESIGN §7). */
function walrusFromCommitteeFile(devnet: RunningDevnet): WalrusClient {
  const { suiUrl, packageConfig } = committeeFile(devnet);
  return new WalrusClient({
    packageConfig,
    suiClient: new SuiGrpcClient({ baseUrl: suiUrl, network: 'localnet' }),
    storageNodeUrlScheme: 'http',
  });
}

// The SDK does not export its BCS layouts, so load its built files by path (DESIGN §7).
const sdkDist = new URL('.', pathToFileURL(createRequire(import.meta.url).resolve('@mysten/walrus')));
async function sdkLayout(file: string, name: string): Promise<BcsType<unknown, unknown>> {
  const module: Record<string, BcsType<unknown, unknown>> = await import(new URL(file, sdkDist).href);
  const layout = module[name];
  if (!layout) throw new Error(`${file} exports no ${name}`);
  return layout;
}

/** A raw grpc-web POST, for what the SDK will not send. */
async function post(url: string, path: string, body: BodyInit, contentType = 'application/grpc-web+proto') {
  return fetch(`${url}/${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

function frame(message: Uint8Array, flag = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + message.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

describe(`the devnet's Sui gRPC endpoint (n=${SHARDS}, ${NODES} nodes)`, () => {
  const dir = tempDir('sui-grpc');
  let devnet: RunningDevnet;
  let sui: SuiGrpcClient;

  beforeAll(async () => {
    devnet = await startTestDevnet({ dir: dir.path, nodes: NODES, shards: SHARDS });
    sui = new SuiGrpcClient({ baseUrl: committeeFile(devnet).suiUrl, network: 'localnet' });
  });
  afterAll(async () => {
    await devnet?.stop();
    dir.remove();
  });

  it('committee.json carries suiUrl and packageConfig, and the edge still reads it', () => {
    const file = committeeFile(devnet);
    expect(file.suiUrl).toBe(devnet.suiUrl);
    expect(file.packageConfig).toEqual(devnet.packageConfig);
    expect(file.packageConfig.systemObjectId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(CommitteeSchema.parse(file).nodes).toHaveLength(NODES);
  });

  it("serves System and StakingPools through the stock client's core.getObjects, decoding to the devnet's committee", async () => {
    const { systemObjectId, stakingPoolId } = devnet.packageConfig;
    const nodeIds = devnet.committee.nodes.map((node) => node.nodeId);
    const { objects } = await sui.core.getObjects({
      objectIds: [systemObjectId, stakingPoolId, ...nodeIds],
      include: { content: true },
    });
    for (const object of objects) expect(object).not.toBeInstanceOf(Error);
    const [system, staking, ...pools] = objects as Exclude<(typeof objects)[number], Error>[];
    expect(system!.type).toMatch(/::system::System$/);
    expect(system!.owner.$kind).toBe('Shared');
    const systemLayout = await sdkLayout('contracts/walrus/system.mjs', 'System');
    const parsedSystem = systemLayout.parse(system!.content) as { id: string; version: string };
    expect(parsedSystem.id).toBe(systemObjectId);
    expect(staking!.type).toMatch(/::staking::Staking$/);

    const poolLayout = await sdkLayout('contracts/walrus/staking_pool.mjs', 'StakingPool');
    pools.forEach((pool, i) => {
      const node = devnet.committee.nodes[i]!;
      const parsed = poolLayout.parse(pool.content) as {
        node_info: { name: string; network_address: string; public_key: { bytes: number[] } };
      };
      expect(parsed.node_info.name).toBe(node.name);
      expect(parsed.node_info.network_address).toBe(new URL(node.url).host);
      expect(bytesToBase64(compressedG1(new Uint8Array(parsed.node_info.public_key.bytes)))).toBe(
        node.blsPublicKey,
      );
    });

    // The inner state, found the way the SDK finds it: a dynamic field keyed by System.version.
    const innerId = deriveDynamicFieldID(
      systemObjectId,
      'u64',
      bcs.u64().serialize(parsedSystem.version).toBytes(),
    );
    const [inner] = (await sui.core.getObjects({ objectIds: [innerId], include: { content: true } })).objects;
    if (!inner || inner instanceof Error) throw inner ?? new Error('no inner state');
    const innerLayout = await sdkLayout('contracts/walrus/system_state_inner.mjs', 'SystemStateInnerV1');
    const state = innerLayout.parse(inner.content.subarray(40)) as {
      committee: { n_shards: number; epoch: number; members: { node_id: string; weight: number }[] };
      storage_price_per_unit_size: string;
    };
    expect(state.committee.n_shards).toBe(SHARDS);
    expect(state.committee.epoch).toBe(devnet.ledger.epoch);
    expect(state.committee.members.map((m) => [m.node_id, m.weight])).toEqual(
      devnet.committee.nodes.map((node) => [node.nodeId, node.shards.length]),
    );
    expect(state.storage_price_per_unit_size).toBe(devnet.ledger.params.storagePricePerUnit);
  });

  it('answers an unknown object with NOT_FOUND in its slot', async () => {
    const missing = `0x${'ab'.repeat(32)}`;
    const { objects } = await sui.core.getObjects({
      objectIds: [devnet.packageConfig.systemObjectId, missing],
    });
    expect(objects[0]).not.toBeInstanceOf(Error);
    expect(objects[1]).toBeInstanceOf(ObjectError);
    expect((objects[1] as ObjectError).code).toBe('notExists');
  });

  it('lets the official WalrusClient, configured only from committee.json, read a blob our writer stored', async () => {
    const data = randomBytes(150_000, 42);
    const stored = await storeOnDevnet(devnet, data);
    const walrus = walrusFromCommitteeFile(devnet);
    expect((await walrus.systemState()).committee.members).toHaveLength(NODES);
    expect(await walrus.readBlob({ blobId: stored.blobId })).toEqual(data);
  });

  it('reads with readBlobAttributes the attributes set on the devnet chain', async () => {
    const stored = await storeOnDevnet(devnet, randomBytes(5_000, 43));
    const walrus = walrusFromCommitteeFile(devnet);
    // No attributes yet: no metadata field, which the SDK's getDynamicField reports as a missing object.
    await expect(walrus.readBlobAttributes({ blobObjectId: stored.objectId })).rejects.toThrow(/not found/);
    await stored.chain.setAttributes(stored.objectId, stored.sender, {
      'content-type': 'image/png',
      name: 'cat.png',
    });
    expect(
      await walrusFromCommitteeFile(devnet).readBlobAttributes({ blobObjectId: stored.objectId }),
    ).toEqual({
      'content-type': 'image/png',
      name: 'cat.png',
    });
    // The Blob object itself, as the SDK parses it.
    const blob = await walrus.getBlobObject(stored.objectId);
    expect(blob.certified_epoch).toBe(devnet.ledger.epoch);
  });

  it('pages Walrus events: certifications and deletions, ascending by cursor and newest first', async () => {
    const permanent = await storeOnDevnet(devnet, randomBytes(3_000, 44));
    const deletable = await storeOnDevnet(devnet, randomBytes(3_000, 45), { deletable: true });
    await deletable.chain.deleteBlob(deletable.objectId, deletable.sender);
    const module = await eventsModule();

    // Ascending, two at a time, from the beginning: every page but the last says there is more.
    const seen: { kind: string; blobId?: string }[] = [];
    let cursor: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      const page = await sui.core.listEvents({ filter: { eventType: module }, after: cursor, limit: 2 });
      expect(page.events.length).toBeLessThanOrEqual(2);
      for (const event of page.events) {
        expect(event.eventType.startsWith(`${module}::`)).toBe(true);
        const parsed = parseWalrusEvent(event.eventType, event.bcs);
        if (parsed) seen.push({ kind: parsed.kind, blobId: 'blobId' in parsed ? parsed.blobId : undefined });
      }
      if (!page.hasNextPage) break;
      expect(page.endCursor).not.toBeNull();
      cursor = page.endCursor;
    }
    expect(seen).toContainEqual({ kind: 'certified', blobId: permanent.blobId });
    expect(seen).toContainEqual({ kind: 'certified', blobId: deletable.blobId });
    expect(seen.at(-1)).toEqual({ kind: 'deleted', blobId: deletable.blobId });
    const events = devnet.ledger.eventsAfter(-1).filter((e) => e.type !== 'BlobRegistered');
    expect(seen).toHaveLength(events.length);

    // Newest first, one: the deletion; and nothing after it.
    const newest = await sui.core.listEvents({
      filter: { eventType: module },
      order: 'descending',
      limit: 1,
    });
    expect(newest.events).toHaveLength(1);
    expect(parseWalrusEvent(newest.events[0]!.eventType, newest.events[0]!.bcs)).toMatchObject({
      kind: 'deleted',
      blobId: deletable.blobId,
    });
    expect(newest.hasNextPage).toBe(true);
    const after = await sui.core.listEvents({
      filter: { eventType: module },
      after: newest.startCursor,
      limit: 5,
    });
    expect(after.events).toEqual([]);
    expect(after.hasNextPage).toBe(false);

    // An exact type filter keeps only deletions.
    const deletions = await sui.core.listEvents({
      filter: { eventType: `${module}::BlobDeleted` },
      limit: 50,
    });
    expect(deletions.events.map((e) => parseWalrusEvent(e.eventType, e.bcs))).toEqual([
      expect.objectContaining({ kind: 'deleted', blobId: deletable.blobId }),
    ]);
  });

  async function eventsModule(): Promise<string> {
    const [system] = (await sui.core.getObjects({ objectIds: [devnet.packageConfig.systemObjectId] }))
      .objects;
    if (!system || system instanceof Error) throw system ?? new Error('no System');
    return `${system.type.split('::')[0]}::events`;
  }

  it('names the WAL type through GetFunction and reports a chain ID', async () => {
    const pkg = (await eventsModule()).split('::')[0]!;
    const { function: fn } = await sui.core.getMoveFunction({
      packageId: pkg,
      moduleName: 'staking',
      name: 'stake_with_pool',
    });
    const coin = fn.parameters[1]!.body;
    expect(coin.$kind).toBe('datatype');
    const walType = coin.$kind === 'datatype' ? coin.datatype.typeParameters[0] : undefined;
    expect(walType?.$kind === 'datatype' && walType.datatype.typeName).toMatch(/::wal::WAL$/);
    const { chainIdentifier } = await sui.core.getChainIdentifier();
    expect(chainIdentifier).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
  });

  async function walType(): Promise<string> {
    const pkg = (await eventsModule()).split('::')[0]!;
    const { function: fn } = await sui.core.getMoveFunction({
      packageId: pkg,
      moduleName: 'staking',
      name: 'stake_with_pool',
    });
    const coin = fn.parameters[1]!.body;
    const wal = coin.$kind === 'datatype' ? coin.datatype.typeParameters[0] : undefined;
    if (wal?.$kind !== 'datatype') throw new Error('no WAL type');
    return wal.datatype.typeName;
  }

  it("shows an account's balances and owned objects: GetBalance, coins and Blobs through ListOwnedObjects", async () => {
    const stored = await storeOnDevnet(devnet, randomBytes(2_000, 47));
    const account = devnet.ledger.getAccount(stored.sender);
    const wal = await walType();
    const balance = await sui.core.getBalance({ owner: stored.sender, coinType: wal });
    expect(balance.balance).toMatchObject({
      balance: account.wal,
      coinBalance: account.wal,
      addressBalance: '0',
    });
    expect((await sui.core.getBalance({ owner: stored.sender })).balance.balance).toBe(account.sui);
    const stranger = `0x${'cd'.repeat(32)}`;
    expect((await sui.core.getBalance({ owner: stranger, coinType: wal })).balance.balance).toBe('0');
    const { balances } = await sui.core.listBalances({ owner: stored.sender });
    expect(balances.map((b) => [b.coinType, b.balance])).toEqual([
      ['0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI', account.sui],
      [wal, account.wal],
    ]);
    expect((await sui.core.listBalances({ owner: stranger })).balances).toEqual([]);
    expect((await sui.core.getCoinMetadata({ coinType: wal })).coinMetadata).toMatchObject({
      decimals: 9,
      symbol: 'WAL',
    });
    expect((await sui.core.getCoinMetadata({ coinType: `${wal}X` })).coinMetadata).toBeNull();

    // The WAL balance as the SDK's CoinWithBalance looks for it: coins of that type, each gettable.
    const coins = await sui.core.listCoins({ owner: stored.sender, coinType: wal });
    expect(coins.objects).toHaveLength(1);
    expect(coins.objects[0]!.balance).toBe(account.wal);
    const [coin] = (
      await sui.core.getObjects({ objectIds: [coins.objects[0]!.objectId], include: { content: true } })
    ).objects;
    if (!coin || coin instanceof Error) throw coin ?? new Error('no coin');
    const content = bcs.struct('Coin', { id: ObjectId, balance: Balance }).parse(coin.content);
    expect(content).toEqual({ id: coins.objects[0]!.objectId, balance: { value: account.wal } });
    expect(coin.owner).toEqual({ $kind: 'AddressOwner', AddressOwner: stored.sender });

    // Its Blob objects, by type, and everything it owns, a page at a time.
    const blobType = `${(await eventsModule()).split('::')[0]}::blob::Blob`;
    const blobs = await sui.core.listOwnedObjects({ owner: stored.sender, type: blobType });
    expect(blobs.objects.map((o) => o.objectId)).toEqual([stored.objectId]);
    const first = await sui.core.listOwnedObjects({ owner: stored.sender, limit: 2 });
    expect(first.hasNextPage).toBe(true);
    const rest = await sui.core.listOwnedObjects({ owner: stored.sender, limit: 2, cursor: first.cursor });
    expect(rest.hasNextPage).toBe(false);
    expect([...first.objects, ...rest.objects].map((o) => o.type)).toEqual([
      '0x0000000000000000000000000000000000000000000000000000000000000002::coin::Coin<0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI>',
      `0x0000000000000000000000000000000000000000000000000000000000000002::coin::Coin<${wal}>`,
      blobType,
    ]);
  });

  it("carries the edge's Sui event follower: deletions and certifications arrive through the stock client", async () => {
    const deleted: string[] = [];
    const certified: string[] = [];
    const follower = suiBlobLifetimes({
      client: sui,
      eventsModule: () => walrusEventsModule(sui, devnet.packageConfig.systemObjectId),
      endEpoch: async () => undefined,
      pollMs: 50,
    }).follow({
      deleted: (blobId) => deleted.push(blobId),
      certified: (blobId) => certified.push(blobId),
      epoch: () => {},
    });
    try {
      // Let it take its starting point (the newest event), then make news.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const blob = await storeOnDevnet(devnet, randomBytes(4_000, 48), { deletable: true });
      await blob.chain.deleteBlob(blob.objectId, blob.sender);
      const deadline = Date.now() + 5_000;
      while (!deleted.includes(blob.blobId) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(certified).toEqual([blob.blobId]);
      expect(deleted).toEqual([blob.blobId]);
    } finally {
      follower();
    }
  });

  it("takes the SDK's writeBlob through every read and transaction it needs, each answered with frames", async () => {
    // WAL type (GetFunction), the WAL balance (GetBalance), coins (ListOwnedObjects), then the register
    // transaction (SimulateTransaction, ExecuteTransaction, GetTransaction), the upload, and certify.
    const signer = new Ed25519Keypair();
    devnet.ledger.fundAccount(signer.toSuiAddress());
    const calls: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      calls.push(`${String(input).split('/').at(-1)} ${response.headers.get('grpc-status') ?? 'frames'}`);
      return response;
    };
    const walrus = new WalrusClient({
      packageConfig: devnet.packageConfig,
      suiClient: new SuiGrpcClient({
        network: 'localnet',
        transport: new GrpcWebFetchTransport({ baseUrl: devnet.suiUrl, fetch: recording }),
      }),
      storageNodeUrlScheme: 'http',
    });
    const blob = randomBytes(1_000, 50);
    const { blobId } = await walrus.writeBlob({ blob, deletable: true, epochs: 1, signer });
    expect(calls.every((call) => call.endsWith(' frames'))).toBe(true);
    const register = calls.indexOf('GetFunction frames');
    expect(calls.slice(register, register + 6)).toEqual([
      'GetFunction frames',
      'GetBalance frames',
      'ListOwnedObjects frames',
      'SimulateTransaction frames',
      'ExecuteTransaction frames',
      'GetTransaction frames',
    ]);
    expect(calls.filter((call) => call === 'ExecuteTransaction frames')).toHaveLength(2);
    expect(devnet.ledger.isCertified(blobId)).toBe(true);
  });

  it('answers a client that speaks binary grpc-web as well as text', async () => {
    const binary = new SuiGrpcClient({
      network: 'localnet',
      transport: new GrpcWebFetchTransport({ baseUrl: devnet.suiUrl, format: 'binary' }),
    });
    const { objects } = await binary.core.getObjects({
      objectIds: [devnet.packageConfig.systemObjectId],
      include: { content: true },
    });
    const [text] = (
      await sui.core.getObjects({
        objectIds: [devnet.packageConfig.systemObjectId],
        include: { content: true },
      })
    ).objects;
    expect(objects[0]).toEqual(text);
    const events = await binary.core.listEvents({ filter: { eventType: await eventsModule() }, limit: 3 });
    expect(events.events.length).toBeGreaterThan(0);
  });

  it('answers UNIMPLEMENTED for what it does not serve, through the SDK, and the server keeps serving', async () => {
    // A method Sui has but the devnet does not serve.
    const pkg = sui.movePackageService.getPackage({ packageId: '0x2' });
    await expect(pkg.response).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
    await expect(sui.core.getProtocolConfig()).rejects.toThrow(/Protocol config not found/);
    // GetEpoch is served: the reference gas price transactions are priced at.
    expect((await sui.core.getReferenceGasPrice()).referenceGasPrice).toBe('1000');
    // A transaction the devnet never executed: NOT_FOUND.
    await expect(
      sui.ledgerService.getTransaction({ digest: '11111111111111111111111111111111' }).response,
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A method no Sui has, through the SDK's transport.
    const transport = new GrpcWebFetchTransport({ baseUrl: devnet.suiUrl });
    const fake = {
      typeName: 'sui.rpc.v2.NoSuchService',
      methods: [],
      options: {},
    };
    const call = transport.unary(
      {
        ...GrpcTypes.LedgerService.methods.find((m) => m.name === 'GetServiceInfo')!,
        service: fake,
        name: 'Nothing',
      },
      {},
      transport.mergeOptions({}),
    );
    const error = await call.response.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe('UNIMPLEMENTED');
    expect((error as RpcError).message).toMatch(/unknown method sui\.rpc\.v2\.NoSuchService\/Nothing/);
    expect((await sui.core.getChainIdentifier()).chainIdentifier).toBeTruthy();
  });

  it('answers INVALID_ARGUMENT to malformed frames and messages, in both formats, and never crashes', async () => {
    const path = 'sui.rpc.v2.LedgerService/BatchGetObjects';
    const cases: [string, BodyInit, string?][] = [
      ['a cut frame header', new Uint8Array([0, 0, 0])],
      ['a frame longer than the body', frame(new Uint8Array(10)).subarray(0, 8)],
      ['no frame at all', new Uint8Array(0)],
      ['two messages', new Uint8Array([...frame(new Uint8Array(0)), ...frame(new Uint8Array(0))])],
      ['a compressed frame', frame(new Uint8Array(0), 1)],
      ['not protobuf', frame(new Uint8Array([0xff, 0xff, 0xff, 0xff]))],
      ['text that is not base64', '!!!not base64!!!', 'application/grpc-web-text'],
    ];
    for (const [what, body, type] of cases) {
      const response = await post(devnet.suiUrl, path, body, type);
      expect(response.status, what).toBe(200);
      expect(response.headers.get('grpc-status'), what).toBe('3');
      expect(decodeURIComponent(response.headers.get('grpc-message') ?? ''), what).not.toBe('');
    }
    // A bad object ID in a well-formed request: its slot says INVALID_ARGUMENT.
    const request = GrpcTypes.BatchGetObjectsRequest.toBinary(
      GrpcTypes.BatchGetObjectsRequest.create({ requests: [{ objectId: 'not-an-id' }] }),
    );
    const text = await post(devnet.suiUrl, path, bytesToBase64(frame(request)), 'application/grpc-web-text');
    expect(text.headers.get('content-type')).toBe('application/grpc-web-text+proto');
    const bytes = Uint8Array.from(atob(await text.text()), (c) => c.charCodeAt(0));
    const length = new DataView(bytes.buffer).getUint32(1);
    const answer = GrpcTypes.BatchGetObjectsResponse.fromBinary(bytes.subarray(5, 5 + length));
    expect(answer.objects[0]!.result).toMatchObject({ oneofKind: 'error', error: { code: 3 } });
    expect(new TextDecoder().decode(bytes.subarray(5 + length + 5))).toMatch(/^grpc-status:0\r\n/);
    // A cursor this server never gave out, through the SDK's streaming call.
    await expect(
      sui.core.listEvents({ filter: { eventType: await eventsModule() }, after: 'AAAA', limit: 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // A browser's preflight, and the CORS headers every answer carries.
    const preflight = await fetch(`${devnet.suiUrl}/${path}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-grpc-web,x-sui-client-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'content-type,x-grpc-web,x-sui-client-protocol-version',
    );
    expect(text.headers.get('access-control-allow-origin')).toBe('*');
    expect(text.headers.get('access-control-expose-headers')).toMatch(/grpc-status, grpc-message/);
    // Not grpc-web at all.
    expect((await fetch(`${devnet.suiUrl}/${path}`)).status).toBe(405);
    expect((await post(devnet.suiUrl, path, '{}', 'application/json')).status).toBe(415);
    // Still serving.
    expect(
      (await sui.core.getObjects({ objectIds: [devnet.packageConfig.systemObjectId] })).objects[0],
    ).not.toBeInstanceOf(Error);
  });

  // Last: it moves the shared devnet on.
  it('follows the chain into a new epoch: committee, staking state and the epoch event', async () => {
    const data = randomBytes(30_000, 49);
    const stored = await storeOnDevnet(devnet, data, { epochs: 3 });
    const before = devnet.ledger.epoch;
    devnet.ledger.advanceEpoch();
    const walrus = walrusFromCommitteeFile(devnet);
    expect((await walrus.systemState()).committee.epoch).toBe(before + 1);
    const staking = await walrus.stakingState();
    expect(staking.epoch).toBe(before + 1);
    expect(staking.epoch_state.$kind).toBe('EpochChangeDone');
    // Staking's timetable puts the new epoch no later than it began.
    const start = Number(staking.first_epoch_start) + (before + 1 - 1) * Number(staking.epoch_duration);
    expect(start).toBe(devnet.ledger.epochStartedAtMs);
    const newest = await sui.core.listEvents({
      filter: { eventType: await eventsModule() },
      order: 'descending',
      limit: 1,
    });
    expect(parseWalrusEvent(newest.events[0]!.eventType, newest.events[0]!.bcs)).toEqual({
      kind: 'epoch',
      epoch: before + 1,
    });
    expect(await walrus.readBlob({ blobId: stored.blobId })).toEqual(data);
  });
});

describe("the devnet's Sui endpoint across a restart", () => {
  it('keeps its object IDs (and committee.json keeps pointing at them) when restarted on the same dir', async () => {
    const dir = tempDir('sui-grpc-restart');
    try {
      const first = await startTestDevnet({ dir: dir.path, nodes: NODES, shards: SHARDS });
      const stored = await storeOnDevnet(first, randomBytes(20_000, 46));
      const before = first.packageConfig;
      await first.stop();

      const second = await startTestDevnet({ dir: dir.path });
      try {
        expect(second.packageConfig).toEqual(before);
        const file = committeeFile(second);
        expect(file.packageConfig).toEqual(before);
        expect(file.suiUrl).toBe(second.suiUrl);
        const walrus = walrusFromCommitteeFile(second);
        expect(await walrus.readBlob({ blobId: stored.blobId })).toEqual(
          await readBack(stored.blobId, second),
        );
        const blob = await walrus.getBlobObject(stored.objectId);
        expect(blob.id).toBe(stored.objectId);
      } finally {
        await second.stop();
      }
      // Another devnet gets other IDs.
      const other = await startTestDevnet({ nodes: NODES, shards: SHARDS });
      expect(other.packageConfig.systemObjectId).not.toBe(before.systemObjectId);
      await other.stop();
      dir.remove();
    } finally {
      dir.remove();
    }
  });
});

async function readBack(blobId: string, devnet: RunningDevnet): Promise<Uint8Array> {
  const { readSystematic } = await import('../support/devnet.ts');
  return readSystematic(devnet.committee, blobId);
}
