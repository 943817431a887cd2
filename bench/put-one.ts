// One write in a fresh process, so its time is its own: `sdk` = the official @mysten/walrus writeBlob
// configured only with the devnet's suiUrl and packageConfig, from a fresh Ed25519 key funded by the
// devnet's faucet (funding and client set-up are not timed). Prints one JSON line: ms, blobId.
import { readFileSync } from 'node:fs';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { WalrusClient } from '@mysten/walrus';

const [committeePath, file, epochs] = process.argv.slice(2) as [string, string, string];
const devnet = JSON.parse(readFileSync(committeePath, 'utf8')) as {
  suiUrl: string;
  faucetUrl: string;
  packageConfig: { systemObjectId: string; stakingPoolId: string };
};
const signer = new Ed25519Keypair();
await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: signer.toSuiAddress() });
const walrus = new WalrusClient({
  packageConfig: devnet.packageConfig,
  suiClient: new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }),
  storageNodeUrlScheme: 'http',
});
// The committee and the WAL type, as a long-running writer has them: not part of the write.
await walrus.stakingState();
const blob = new Uint8Array(readFileSync(file));
const started = performance.now();
const { blobId } = await walrus.writeBlob({ blob, epochs: Number(epochs), deletable: false, signer });
console.log(JSON.stringify({ ms: performance.now() - started, blobId }));
process.exit(0);
