#!/usr/bin/env node
// The walrus-edge command (DESIGN §4): run a devnet, serve the edge, store and fetch blobs, compute IDs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { computeBlobId } from './codec/blob-id-of.ts';
import { loadConfig } from './config.ts';
import { startDevnet } from './devnet/devnet.ts';
import { startEdge } from './main.ts';
import { CommitteeSchema } from './network/committee.ts';
import { DevnetChainClient } from './network/devnet-chain-client.ts';
import { storeBlob } from './publish/blob-writer.ts';
import { pinsFromNodes } from './network/transport/pinned-tls.ts';
import { undiciTransport } from './network/transport/undici-transport.ts';

const USAGE = `walrus-edge <command>

  serve [--devnet-dir DIR] [--port P] [--host H]      run the edge (embedded devnet unless --devnet-dir)
  devnet --dir DIR [--nodes N] [--shards S] [--port BASE] [--epoch-ms MS] [--tls]
                                                     run a local Walrus devnet in the foreground
  put FILE --devnet-dir DIR [--epochs N] [--deletable] store a blob on a running devnet, print JSON
  blob-id FILE [--shards N]                          print the blob ID of FILE (default 1000 shards)
  get BLOB_ID --url URL [--out FILE]                 download a blob through an edge`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'devnet':
      return devnetCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'put':
      return putCommand(rest);
    case 'blob-id':
      return blobIdCommand(rest);
    case 'get':
      return getCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} takes a whole number, got ${value}`);
  return Number(value);
}

async function devnetCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: 'string' },
      nodes: { type: 'string' },
      shards: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'epoch-ms': { type: 'string' },
      tls: { type: 'boolean' },
    },
  });
  if (!values.dir) throw new UsageError('devnet needs --dir DIR');
  const epochMs = positiveInt(values['epoch-ms'], '--epoch-ms');
  const started = performance.now();
  const devnet = await startDevnet({
    dir: resolve(values.dir),
    nodes: positiveInt(values.nodes, '--nodes'),
    shards: positiveInt(values.shards, '--shards'),
    basePort: positiveInt(values.port, '--port') ?? 9100,
    host: values.host,
    tls: values.tls,
    chainParams: epochMs === undefined ? undefined : { epochDurationMs: epochMs },
  });
  console.log(
    JSON.stringify({
      committee: devnet.committeePath,
      chainUrl: devnet.chainUrl,
      nodes: devnet.committee.nodes.length,
      nShards: devnet.committee.nShards,
      epoch: devnet.ledger.epoch,
      startupMs: Math.round(performance.now() - started),
    }),
  );
  await waitForSignal();
  await devnet.stop();
}

async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { 'devnet-dir': { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
  });
  const env = { ...process.env };
  if (values['devnet-dir']) env.DEVNET_DIR = values['devnet-dir'];
  if (values.port) env.PORT = values.port;
  if (values.host) env.HOST = values.host;
  const edge = await startEdge(loadConfig(env));
  await waitForSignal();
  await edge.stop();
}

async function putCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'devnet-dir': { type: 'string' },
      url: { type: 'string' },
      epochs: { type: 'string' },
      deletable: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file) throw new UsageError('put needs a FILE');
  if (values.url)
    throw new UsageError('put --url needs the edge publisher, which is not built yet; use --devnet-dir');
  if (!values['devnet-dir']) throw new UsageError('put needs --devnet-dir DIR');
  const dir = resolve(values['devnet-dir']);
  const committee = CommitteeSchema.parse(JSON.parse(readFileSync(join(dir, 'committee.json'), 'utf8')));
  if (!committee.chainUrl) throw new UsageError(`${dir}/committee.json has no chainUrl`);
  const chain = new DevnetChainClient(committee.chainUrl);
  const liveCommittee = await chain.committee();
  const sender = await walletFor(dir, chain);
  // Keep-alive pools for the upload; TLS devnet nodes are authenticated by their pinned network keys.
  const transport = undiciTransport({ pins: pinsFromNodes(liveCommittee.nodes) });
  const result = await storeBlob({
    data: new Uint8Array(readFileSync(file)),
    committee: { ...liveCommittee, chainUrl: committee.chainUrl },
    chain,
    sender,
    epochs: positiveInt(values.epochs, '--epochs') ?? 1,
    deletable: values.deletable,
    transport,
  }).finally(() => transport.close());
  console.log(
    JSON.stringify({
      blobId: result.blobId,
      objectId: result.objectId,
      size: result.size,
      encodedLength: result.encodedLength,
      endEpoch: result.blob.storage.endEpoch,
      certifiedEpoch: result.blob.certifiedEpoch,
      deletable: result.blob.deletable,
      timingsMs: Object.fromEntries(Object.entries(result.timingsMs).map(([k, v]) => [k, Math.round(v)])),
    }),
  );
}

/** The devnet account this directory pays from: created and funded by the faucet on first use. */
async function walletFor(dir: string, chain: DevnetChainClient): Promise<string> {
  const path = join(dir, 'wallet.json');
  if (existsSync(path)) {
    const { address } = JSON.parse(readFileSync(path, 'utf8')) as { address: string };
    const account = await chain.account(address).catch(() => undefined);
    if (account && BigInt(account.wal) > 10n ** 10n && BigInt(account.sui) > 10n ** 8n) return address;
    await chain.fundAccount(address);
    return address;
  }
  const account = await chain.fundAccount();
  writeFileSync(path, JSON.stringify({ address: account.address }) + '\n');
  return account.address;
}

async function blobIdCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { shards: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) throw new UsageError('blob-id needs a FILE');
  console.log(
    computeBlobId(new Uint8Array(readFileSync(file)), positiveInt(values.shards, '--shards') ?? 1000),
  );
}

async function getCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, out: { type: 'string' } },
  });
  const blobId = positionals[0];
  if (!blobId || !values.url) throw new UsageError('get needs BLOB_ID and --url URL');
  const response = await fetch(`${values.url.replace(/\/+$/, '')}/v1/blobs/${encodeURIComponent(blobId)}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!response.ok) throw new Error(`${response.status}: ${new TextDecoder().decode(bytes).slice(0, 500)}`);
  if (values.out) writeFileSync(values.out, bytes);
  else process.stdout.write(bytes);
}

function waitForSignal(): Promise<void> {
  return new Promise((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`walrus-edge: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`walrus-edge: ${(error as Error).message}`);
  process.exit(1);
});
