// The committee of a local devnet (src/devnet), from its directory's committee.json, from its chain
// (`GET /v1/committee`), or both. The chain knows the epoch as it changes; the file is rewritten when a
// restarted devnet comes back on other ports (and at each epoch change). The source polls both cheaply
// — the file's identity, the chain's `GET /v1/state` epoch — and re-reads when either moved.
// A devnet has no shard sync: its epoch changes are instantaneous and it never reports one in progress.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Committee } from '../committee.ts';
import { parseCommittee, PollingCommitteeSource, type CommitteeSource } from '../committee-source.ts';
import { DevnetChainClient } from '../devnet-chain-client.ts';
import { readCommitteeFile } from './static-committee.ts';

export interface DevnetCommitteeOptions {
  /** A devnet directory (`walrus-edge devnet --dir`); its committee.json is re-read whenever it changes. */
  dir?: string;
  /** The devnet chain. Default: committee.json's `chainUrl`. Its committee and epoch win over the file's. */
  chainUrl?: string;
  /** How often to check the file and the chain's epoch, in ms. Default 2000; 0 = only on `refresh()`. */
  pollIntervalMs?: number;
  /** Backoff after failures, as in `PollingSourceOptions`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  timeoutMs?: number;
  onError?(error: unknown): void;
}

export function devnetCommitteeSource(options: DevnetCommitteeOptions): CommitteeSource {
  const { dir } = options;
  if (dir === undefined && options.chainUrl === undefined) {
    throw new TypeError('a devnet committee source needs a devnet directory, a chain URL, or both');
  }
  const path = dir === undefined ? undefined : join(dir, 'committee.json');
  // What the last successful load read: the file's identity and the chain it used.
  let loadedStamp: string | undefined;
  let loadedChain: DevnetChainClient | undefined;

  return new PollingCommitteeSource({
    pollIntervalMs: options.pollIntervalMs ?? 2000,
    minRetryMs: options.minRetryMs,
    maxRetryMs: options.maxRetryMs,
    timeoutMs: options.timeoutMs,
    onError: options.onError,
    load: async () => {
      let fromFile: Committee | undefined;
      let stamp: string | undefined;
      if (path !== undefined) {
        // Identity first, then contents: a rewrite in between only causes one more re-read.
        stamp = await fileStamp(path);
        fromFile = await readCommitteeFile(path);
      }
      const chainUrl = options.chainUrl ?? fromFile?.chainUrl;
      let committee: Committee;
      let chain: DevnetChainClient | undefined;
      if (chainUrl !== undefined) {
        chain = new DevnetChainClient(chainUrl);
        const fromChain = parseCommittee(await chain.committee(), `the devnet chain at ${chain.url}`);
        committee = { ...fromChain, chainUrl: chain.url };
      } else if (fromFile) {
        committee = fromFile;
      } else {
        throw new Error('unreachable: no devnet directory and no chain URL');
      }
      loadedStamp = stamp;
      loadedChain = chain;
      return { epoch: committee.epoch, committee, epochChangeInProgress: false, loadedAt: Date.now() };
    },
    changed: async (view) => {
      if (path !== undefined && (await fileStamp(path)) !== loadedStamp) return true;
      if (loadedChain) return (await loadedChain.state()).epoch !== view.epoch;
      return false;
    },
  });
}

/** Changes whenever the file is rewritten: the devnet writes a temporary file and renames it over. */
async function fileStamp(path: string): Promise<string> {
  const info = await stat(path);
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}
