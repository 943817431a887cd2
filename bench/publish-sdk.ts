// The official SDK's writes, in a fresh process so time and memory are its own: `writeBlob` of each
// file at once (one fresh Ed25519 key per file, funded by the devnet's faucet, so concurrent writes
// never share a gas coin), configured only with the devnet's suiUrl and packageConfig. Funding and the
// client's committee load are not measured. Prints one JSON line: ms (all writes, wall clock),
// baselineRss and peakRss (this process, sampled every 2 ms), cpuSeconds (this process) and
// devnetCpuSeconds (the devnet's process, DEVNET_PID) over the writes, blobIds.
// Usage: node --expose-gc bench/publish-sdk.ts COMMITTEE_JSON DEVNET_PID EPOCHS FILE...
import { readFileSync } from 'node:fs';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { WalrusClient } from '@mysten/walrus';
import { processCpuSeconds } from './process-cpu.ts';

const [committeePath, devnetPid, epochs, ...files] = process.argv.slice(2) as [
  string,
  string,
  string,
  ...string[],
];
const devnet = JSON.parse(readFileSync(committeePath, 'utf8')) as {
  suiUrl: string;
  faucetUrl: string;
  packageConfig: { systemObjectId: string; stakingPoolId: string };
};
const walrus = new WalrusClient({
  packageConfig: devnet.packageConfig,
  suiClient: new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }),
  storageNodeUrlScheme: 'http',
});
const signers = files.map(() => new Ed25519Keypair());
for (const signer of signers)
  await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: signer.toSuiAddress() });
await walrus.stakingState();
const blobs = files.map((file) => new Uint8Array(readFileSync(file)));

(globalThis as { gc?: () => void }).gc?.();
const baselineRss = process.memoryUsage().rss;
let peakRss = baselineRss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 2);
const started = performance.now();
const cpuStarted = { own: process.cpuUsage(), devnet: processCpuSeconds(Number(devnetPid)) };
const written = await Promise.all(
  blobs.map((blob, i) =>
    walrus.writeBlob({ blob, epochs: Number(epochs), deletable: false, signer: signers[i]! }),
  ),
);
const ms = performance.now() - started;
const ownCpu = process.cpuUsage(cpuStarted.own);
const cpuSeconds = (ownCpu.user + ownCpu.system) / 1e6;
const devnetCpuSeconds = processCpuSeconds(Number(devnetPid)) - cpuStarted.devnet;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
console.log(
  JSON.stringify({
    ms,
    baselineRss,
    peakRss,
    cpuSeconds,
    devnetCpuSeconds,
    blobIds: written.map((w) => w.blobId),
  }),
);
process.exit(0);
