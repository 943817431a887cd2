#!/usr/bin/env -S node --no-memory-reducer
// The walrus-edge command (DESIGN §4): run a devnet, serve the edge, store and fetch blobs, compute IDs.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMANDS, commandUsage, isCommandName, overallUsage, type CommandName } from './cli-commands.ts';

// Each command imports what it runs only once its arguments are read, so `--help`, a usage error or
// blob-id answer at once instead of loading the edge, the devnet and the publisher first.

/** Bad input on the command line: answered with the usage of the command it was meant for. */
class UsageError extends Error {
  readonly command: CommandName | undefined;
  constructor(command: CommandName | undefined, message: string) {
    super(message);
    this.command = command;
  }
}

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
    case '--help':
    case '-h':
      console.log(overallUsage());
      return;
    case 'help': {
      // `walrus-edge help put` as well as `walrus-edge put --help`.
      const topic = rest[0];
      if (topic === undefined) console.log(overallUsage());
      else if (isCommandName(topic)) console.log(commandUsage(topic));
      else throw new UsageError(undefined, `unknown command: ${topic}`);
      return;
    }
    default:
      throw new UsageError(undefined, `unknown command: ${command}`);
  }
}

// What parseArgs returns for one command's table, so each command sees its own options typed.
type ParsedCommand<N extends CommandName> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: (typeof COMMANDS)[N]['options'];
    allowPositionals: (typeof COMMANDS)[N]['allowPositionals'];
    strict: true;
  }>
>;

/** parseArgs over the command's own option table; its complaints become usage errors of that command. */
function parseCommand<N extends CommandName>(name: N, args: string[]): ParsedCommand<N> {
  const { options, allowPositionals } = COMMANDS[name];
  try {
    return parseArgs({ args, options, allowPositionals, strict: true }) as ParsedCommand<N>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(name, (error as Error).message);
    }
    throw error;
  }
}

function positiveInt(command: CommandName, value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(command, `${flag} takes a whole number, got ${value}`);
  return Number(value);
}

async function devnetCommand(args: string[]): Promise<void> {
  const { values } = parseCommand('devnet', args);
  if (values.help) return console.log(commandUsage('devnet'));
  if (!values.dir) throw new UsageError('devnet', 'devnet needs --dir DIR');
  const epochMs = positiveInt('devnet', values['epoch-ms'], '--epoch-ms');
  const { startDevnet } = await import('./devnet/devnet.ts');
  const started = performance.now();
  const devnet = await startDevnet({
    dir: resolve(values.dir),
    nodes: positiveInt('devnet', values.nodes, '--nodes'),
    shards: positiveInt('devnet', values.shards, '--shards'),
    basePort: positiveInt('devnet', values.port, '--port') ?? 9100,
    host: values.host,
    tls: values.tls,
    chainParams: epochMs === undefined ? undefined : { epochDurationMs: epochMs },
  });
  console.log(
    JSON.stringify({
      committee: devnet.committeePath,
      chainUrl: devnet.chainUrl,
      suiUrl: devnet.suiUrl,
      faucetUrl: devnet.faucetUrl,
      packageConfig: devnet.packageConfig,
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
  const { values } = parseCommand('serve', args);
  if (values.help) return console.log(commandUsage('serve'));
  const env = { ...process.env };
  if (values.config) env.CONFIG_FILE = values.config;
  if (values['devnet-dir']) env.DEVNET_DIR = values['devnet-dir'];
  if (values.port) env.PORT = values.port;
  if (values.host) env.HOST = values.host;
  const [{ loadConfig }, { runEdge }] = await Promise.all([import('./config.ts'), import('./main.ts')]);
  // As `npm start`: HTTP_WORKERS processes (the workers get `env`, flags included).
  const edge = await runEdge(loadConfig(env), env);
  await waitForSignal();
  await edge.stop();
}

async function putCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand('put', args);
  if (values.help) return console.log(commandUsage('put'));
  const file = positionals[0];
  if (!file) throw new UsageError('put', 'put needs a FILE');
  const epochs = positiveInt('put', values.epochs, '--epochs') ?? 1;
  if (values.url && values['devnet-dir'])
    throw new UsageError('put', 'put takes --url URL or --devnet-dir DIR, not both');
  if (values.url) return putThroughEdge(values.url, file, epochs, values.deletable);
  if (!values['devnet-dir']) throw new UsageError('put', 'put needs --devnet-dir DIR or --url URL');
  const dir = resolve(values['devnet-dir']);
  const [
    { devnetSuiEndpoint },
    { SuiGrpcClient },
    { WalrusClient },
    { readSuiCommittee },
    { storeBlob },
    { suiRegistrar },
    { pinsFromNodes },
    { undiciTransport },
    { devnetWallet },
  ] = await Promise.all([
    import('./network/devnet-endpoint.ts'),
    import('@mysten/sui/grpc'),
    import('@mysten/walrus'),
    import('./network/committees/sui-committee.ts'),
    import('./publish/blob-writer.ts'),
    import('./publish/sui-registrar.ts'),
    import('./network/transport/pinned-tls.ts'),
    import('./network/transport/undici-transport.ts'),
    import('./publish/sponsor/devnet-wallet.ts'),
  ]);
  // The devnet as Sui: its gRPC endpoint, its Walrus objects, its faucet.
  const endpoint = devnetSuiEndpoint(dir);
  const suiClient = new SuiGrpcClient({ baseUrl: endpoint.url, network: 'localnet' });
  const walrus = new WalrusClient({
    packageConfig: { systemObjectId: endpoint.systemObjectId, stakingPoolId: endpoint.stakingObjectId },
    suiClient,
    storageNodeUrlScheme: endpoint.urlScheme,
  });
  // The committee in the chain's own order, which a certificate's signer indices refer to.
  const { committee } = await readSuiCommittee({ client: suiClient, ...endpoint });
  const signer = await devnetWallet({ dir, faucetUrl: endpoint.faucetUrl, sui: suiClient });
  // Keep-alive pools for the upload; TLS devnet nodes are authenticated by their pinned network keys.
  const transport = undiciTransport({ pins: pinsFromNodes(committee.nodes) });
  const result = await storeBlob({
    data: new Uint8Array(readFileSync(file)),
    committee,
    chain: suiRegistrar(walrus, signer),
    epochs,
    deletable: values.deletable,
    transport,
  }).finally(() => transport.close());
  console.log(
    JSON.stringify({
      blobId: result.blobId,
      objectId: result.objectId,
      size: result.size,
      encodedLength: result.encodedLength,
      endEpoch: result.blob.endEpoch,
      certifiedEpoch: result.blob.certifiedEpoch,
      deletable: result.blob.deletable,
      owner: signer.toSuiAddress(),
      digest: result.blob.digest,
      timingsMs: Object.fromEntries(Object.entries(result.timingsMs).map(([k, v]) => [k, Math.round(v)])),
    }),
  );
}

/**
 * PUT FILE to an edge's publisher (the official API) and print what it answered, with blobId and
 * objectId on top. Permanent unless --deletable, as `put --devnet-dir` stores (the official
 * publisher's own default is deletable, so the flag is always spelled out).
 */
async function putThroughEdge(url: string, file: string, epochs: number, deletable: boolean): Promise<void> {
  const query = new URLSearchParams({ epochs: String(epochs), ...(deletable ? {} : { permanent: 'true' }) });
  const response = await fetch(`${url.replace(/\/+$/, '')}/v1/blobs?${query}`, {
    method: 'PUT',
    body: readFileSync(file),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status}: ${text.slice(0, 500)}`);
  const answer = JSON.parse(text) as {
    newlyCreated?: { blobObject: { blobId: string; id: string; storage: { endEpoch: number } } };
    alreadyCertified?: { blobId: string; object?: string; endEpoch: number };
  };
  const created = answer.newlyCreated?.blobObject;
  const known = answer.alreadyCertified;
  console.log(
    JSON.stringify({
      blobId: created?.blobId ?? known?.blobId,
      // An already certified permanent blob is named by its certification event, not an object.
      objectId: created?.id ?? known?.object ?? null,
      endEpoch: created?.storage.endEpoch ?? known?.endEpoch,
      ...answer,
    }),
  );
}

async function blobIdCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand('blob-id', args);
  if (values.help) return console.log(commandUsage('blob-id'));
  const file = positionals[0];
  if (!file) throw new UsageError('blob-id', 'blob-id needs a FILE');
  const { computeBlobId } = await import('./codec/blob-id-of.ts');
  console.log(
    computeBlobId(
      new Uint8Array(readFileSync(file)),
      positiveInt('blob-id', values.shards, '--shards') ?? 1000,
    ),
  );
}

async function getCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand('get', args);
  if (values.help) return console.log(commandUsage('get'));
  const blobId = positionals[0];
  if (!blobId || !values.url) throw new UsageError('get', 'get needs BLOB_ID and --url URL');
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
    const usage = error.command ? commandUsage(error.command) : overallUsage();
    console.error(`walrus-edge: ${error.message}\n\n${usage}`);
    process.exit(2);
  }
  console.error(`walrus-edge: ${(error as Error).message}`);
  process.exit(1);
});
