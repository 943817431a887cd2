#!/usr/bin/env node
// The walrus-edge command (DESIGN §4): run a devnet, serve the edge, store and fetch blobs, compute IDs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
  if (values['devnet-dir']) env.DEVNET_DIR = values['devnet-dir'];
  if (values.port) env.PORT = values.port;
  if (values.host) env.HOST = values.host;
  const [{ loadConfig }, { startEdge }] = await Promise.all([import('./config.ts'), import('./main.ts')]);
  const edge = await startEdge(loadConfig(env));
  await waitForSignal();
  await edge.stop();
}

async function putCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand('put', args);
  if (values.help) return console.log(commandUsage('put'));
  const file = positionals[0];
  if (!file) throw new UsageError('put', 'put needs a FILE');
  if (values.url)
    throw new UsageError(
      'put',
      'put --url needs the edge publisher, which is not built yet; use --devnet-dir',
    );
  if (!values['devnet-dir']) throw new UsageError('put', 'put needs --devnet-dir DIR');
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
  ] = await Promise.all([
    import('./network/devnet-endpoint.ts'),
    import('@mysten/sui/grpc'),
    import('@mysten/walrus'),
    import('./network/committees/sui-committee.ts'),
    import('./publish/blob-writer.ts'),
    import('./publish/sui-registrar.ts'),
    import('./network/transport/pinned-tls.ts'),
    import('./network/transport/undici-transport.ts'),
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
  const signer = await walletFor(dir, endpoint.faucetUrl, suiClient);
  // Keep-alive pools for the upload; TLS devnet nodes are authenticated by their pinned network keys.
  const transport = undiciTransport({ pins: pinsFromNodes(committee.nodes) });
  const result = await storeBlob({
    data: new Uint8Array(readFileSync(file)),
    committee,
    chain: suiRegistrar(walrus, signer),
    epochs: positiveInt('put', values.epochs, '--epochs') ?? 1,
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

/** Below this much SUI (in MIST) the wallet asks the faucet again, which also tops its WAL up. */
const LOW_SUI = 10n ** 9n;

/**
 * The Ed25519 key this devnet directory pays from (DIR/wallet.json, made on first use), funded by the
 * devnet's faucet with SUI and WAL whenever it runs low.
 */
async function walletFor(
  dir: string,
  faucetUrl: string | undefined,
  sui: import('@mysten/sui/grpc').SuiGrpcClient,
): Promise<import('@mysten/sui/keypairs/ed25519').Ed25519Keypair> {
  const [{ Ed25519Keypair }, { requestSuiFromFaucetV2 }] = await Promise.all([
    import('@mysten/sui/keypairs/ed25519'),
    import('@mysten/sui/faucet'),
  ]);
  const path = join(dir, 'wallet.json');
  // A wallet.json from before the devnet spoke Sui holds only an address: a key replaces it.
  const saved = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { secretKey?: string }) : {};
  const signer = saved.secretKey ? Ed25519Keypair.fromSecretKey(saved.secretKey) : new Ed25519Keypair();
  if (!saved.secretKey)
    writeFileSync(
      path,
      JSON.stringify({ address: signer.toSuiAddress(), secretKey: signer.getSecretKey() }) + '\n',
      { mode: 0o600 },
    );
  const { balance } = await sui.core.getBalance({ owner: signer.toSuiAddress() });
  if (BigInt(balance.balance) < LOW_SUI) {
    if (!faucetUrl)
      throw new Error(`${dir}/committee.json names no faucetUrl to fund ${signer.toSuiAddress()}`);
    await requestSuiFromFaucetV2({ host: faucetUrl, recipient: signer.toSuiAddress() });
  }
  return signer;
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
