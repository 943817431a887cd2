// The committee of a Walrus network on Sui (mainnet, testnet, or the devnet's Sui stand-in), read the way
// the chain stores it (DESIGN §2): System and Staking → their inner states (dynamic fields keyed by
// `version`) → one StakingPool per committee node. Only `core.getObjects` with BCS content is used, so
// any @mysten/sui core client and our stand-in will do; the edge uses `SuiGrpcClient` (sui/sui-client.ts).
//
// Unlike the official SDK, a failed read never poisons the source: the last good committee stays, and
// the next read (a retry with backoff, a poll, `refresh()`, or the next `current()` before any success)
// starts from scratch.
import { bcs } from '@mysten/sui/bcs';
import { bytesToBase64 } from '../../protocol/base64.ts';
import {
  parseCommittee,
  PollingCommitteeSource,
  type CommitteeMember,
  type CommitteeSource,
  type CommitteeView,
  type MemberCommittee,
} from '../committee-source.ts';
import {
  BlsCommittee,
  compressedG1,
  Field,
  innerStateFieldId,
  ObjectId,
  PoolState,
  Staking,
  StakingInnerV1,
  StorageNodeInfo,
  System,
  VotingParams,
  type StakingPoolValue,
} from '../sui/walrus-objects.ts';

/** The Walrus objects of Sui mainnet (DESIGN §2). */
export const WALRUS_MAINNET = {
  systemObjectId: '0x2134d52768ea07e8c43570ef975eb3e4c27a39fa6396bef985b5abc58d03ddd2',
  stakingObjectId: '0x10b9d30c28448939ce6c4d6c6e0ffce4a7f8a4ada8248bdad09ef8b70e4a3904',
} as const;

/** The Walrus objects of Sui testnet (DESIGN §2). */
export const WALRUS_TESTNET = {
  systemObjectId: '0x6c2547cbbc38025cf3adac45f63cb0a8d12ecf777cdc75a4971612bf97fdf6af',
  stakingObjectId: '0xbe46180321c30aab2f8b3501e24048377287fa708018a5b7c2792b35fe339ee3',
} as const;

/** The one thing asked of a Sui client: `@mysten/sui` clients and `createSuiStandIn(...).client` fit. */
export interface SuiObjectReader {
  core: {
    getObjects(options: {
      objectIds: string[];
      include: { content: true };
      signal?: AbortSignal;
    }): Promise<{ objects: ({ objectId: string; type: string; content: Uint8Array } | Error)[] }>;
  };
}

export interface SuiCommitteeOptions {
  client: SuiObjectReader;
  systemObjectId: string;
  stakingObjectId: string;
  /** Scheme put before each node's on-chain `host:port`: `https` (default) for real nodes, `http` for the devnet. */
  urlScheme?: 'https' | 'http';
  /** How often to check Staking for an epoch change, in ms. Default 30 000; 0 = only on `refresh()`. */
  pollIntervalMs?: number;
  /** Backoff after failures, as in `PollingSourceOptions`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** Deadline of one whole read (three round trips), in ms. Default 20 000. */
  timeoutMs?: number;
  onError?(error: unknown): void;
  /** As in `PollingSourceOptions`: a load or check succeeded. */
  onCurrent?(view: CommitteeView): void;
}

// Prefixes of the Move structs: BCS reads fields in order and ignores what follows, so parsing only up to
// the fields we use keeps working when later fields are added or changed in a contract upgrade.
const SystemStateHead = Field(
  bcs.u64(),
  bcs.struct('SystemStateInnerV1 (head)', { committee: BlsCommittee }),
);
const StakingStateField = Field(bcs.u64(), StakingInnerV1);
const StakingPoolHead = bcs.struct('StakingPool (head)', {
  id: ObjectId,
  state: PoolState,
  voting_params: VotingParams,
  node_info: StorageNodeInfo,
});
type NodeInfo = StakingPoolValue['node_info'];

/** A source following the Walrus committee on Sui: polls Staking for epoch changes, reloads on change. */
export function suiCommitteeSource(options: SuiCommitteeOptions): CommitteeSource {
  // The Staking inner state's field ID as of the last load: a poll reads just that one object.
  let stakingStateId: string | undefined;
  return new PollingCommitteeSource({
    pollIntervalMs: options.pollIntervalMs ?? 30_000,
    minRetryMs: options.minRetryMs,
    maxRetryMs: options.maxRetryMs,
    timeoutMs: options.timeoutMs,
    onError: options.onError,
    onCurrent: options.onCurrent,
    load: async (signal) => {
      const { view, stakingStateId: id } = await readSui(options, signal);
      stakingStateId = id;
      return view;
    },
    changed: async (view, signal) => {
      if (stakingStateId === undefined) return true;
      const [object] = (
        await options.client.core.getObjects({
          objectIds: [stakingStateId],
          include: { content: true },
          signal,
        })
      ).objects;
      // Gone: Staking moved to a new version (a contract upgrade); a full load follows it.
      if (!object || object instanceof Error) return true;
      const state = StakingStateField.parse(object.content).value;
      return (
        state.epoch !== view.epoch ||
        (state.epoch_state.$kind === 'EpochChangeSync') !== view.epochChangeInProgress
      );
    },
  });
}

/** Reads the committee once (three round trips), with no caching or retries. */
export async function readSuiCommittee(
  options: Pick<SuiCommitteeOptions, 'client' | 'systemObjectId' | 'stakingObjectId' | 'urlScheme'>,
  signal?: AbortSignal,
): Promise<CommitteeView> {
  return (await readSui(options, signal)).view;
}

async function readSui(
  options: Pick<SuiCommitteeOptions, 'client' | 'systemObjectId' | 'stakingObjectId' | 'urlScheme'>,
  signal: AbortSignal | undefined,
): Promise<{ view: CommitteeView; stakingStateId: string }> {
  const { client, systemObjectId, stakingObjectId } = options;
  const scheme = options.urlScheme ?? 'https';

  const [systemBytes, stakingBytes] = await getContents(client, [systemObjectId, stakingObjectId], signal);
  const systemStateId = innerStateFieldId(systemObjectId, System.parse(systemBytes!).version);
  const stakingStateId = innerStateFieldId(stakingObjectId, Staking.parse(stakingBytes!).version);

  // One call for both, so both come from the same moment of the chain (the epoch check below relies on it).
  const [systemStateBytes, stakingStateBytes] = await getContents(
    client,
    [systemStateId, stakingStateId],
    signal,
  );
  const bls = SystemStateHead.parse(systemStateBytes!).value.committee;
  const staking = StakingStateField.parse(stakingStateBytes!).value;
  if (bls.epoch !== staking.epoch || bls.n_shards !== staking.n_shards) {
    throw new Error(
      `System (epoch ${bls.epoch}, ${bls.n_shards} shards) and Staking (epoch ${staking.epoch}, ` +
        `${staking.n_shards} shards) disagree; read again`,
    );
  }
  const syncing = staking.epoch_state.$kind === 'EpochChangeSync';
  const shardsNow = staking.committee[0].contents;
  const shardsBefore = syncing ? staking.previous_committee[0].contents : [];

  // Every node's StakingPool (its ID is the node ID), for names, addresses and keys.
  const nodeIds = [...new Set([...shardsNow, ...shardsBefore].map((entry) => entry.key))];
  const poolBytes = await getContents(client, nodeIds, signal);
  const infos = new Map<string, NodeInfo>();
  nodeIds.forEach((nodeId, i) => infos.set(nodeId, StakingPoolHead.parse(poolBytes[i]!).node_info));

  const member = (nodeId: string, shards: number[], blsKey: Uint8Array): CommitteeMember => {
    const info = infos.get(nodeId)!;
    return {
      name: info.name,
      url: nodeUrl(scheme, info.network_address),
      blsPublicKey: bytesToBase64(compressedG1(blsKey)),
      shards,
      nodeId,
      networkPublicKey: bytesToBase64(Uint8Array.from(info.network_public_key)),
    };
  };

  // The current committee in System's member order, which is the signer order of certificates. Its
  // keys are the epoch's own (a pool already holds a rotated key from the next epoch on).
  const shardsOf = new Map(shardsNow.map((entry) => [entry.key, entry.value]));
  if (bls.members.length !== shardsOf.size || bls.members.some((m) => !shardsOf.has(m.node_id))) {
    throw new Error(`System's committee members and Staking's committee are not the same nodes`);
  }
  const committee: MemberCommittee = {
    nShards: staking.n_shards,
    epoch: staking.epoch,
    nodes: bls.members.map((m) => member(m.node_id, shardsOf.get(m.node_id)!, m.public_key.bytes)),
  };
  checked(committee, 'the Walrus committee on Sui');

  let previous: MemberCommittee | undefined;
  if (syncing) {
    // Keys from the pools: the previous epoch's may have been rotated since, but reads check slivers
    // against metadata, never signatures, and this committee serves reads only.
    previous = {
      nShards: staking.n_shards,
      epoch: staking.epoch - 1,
      nodes: shardsBefore.map((entry) =>
        member(entry.key, entry.value, infos.get(entry.key)!.public_key.bytes),
      ),
    };
    checked(previous, 'the previous Walrus committee on Sui');
  }
  return {
    view: {
      epoch: staking.epoch,
      committee,
      epochChangeInProgress: syncing,
      previous,
      loadedAt: Date.now(),
      schedule: {
        firstEpochStartMs: Number(staking.first_epoch_start),
        epochDurationMs: Number(staking.epoch_duration),
      },
    },
    stakingStateId,
  };
}

/** The contents of `objectIds`, in order; a missing object fails the whole read, naming it. */
async function getContents(
  client: SuiObjectReader,
  objectIds: string[],
  signal: AbortSignal | undefined,
): Promise<Uint8Array[]> {
  const { objects } = await client.core.getObjects({ objectIds, include: { content: true }, signal });
  return objectIds.map((objectId, i) => {
    const object = objects[i];
    if (object instanceof Error) {
      throw new Error(`cannot read Sui object ${objectId}: ${object.message}`, { cause: object });
    }
    if (!object?.content) throw new Error(`Sui returned no content for object ${objectId}`);
    return object.content;
  });
}

/**
 * `scheme://host:port`. An address no URL can hold (an operator's typo) becomes a host that never
 * resolves (RFC 2606 `.invalid`): that one node then fails like a node that is down, instead of making
 * the whole committee unreadable.
 */
function nodeUrl(scheme: string, networkAddress: string): string {
  try {
    const url = new URL(`${scheme}://${networkAddress}`);
    if (
      url.host !== '' &&
      url.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !url.password
    ) {
      return url.origin;
    }
  } catch {
    // fall through
  }
  return `${scheme}://unusable-network-address.invalid`;
}

/** The committee's shape and shard ownership, checked the way every source checks what it hands out. */
function checked(committee: MemberCommittee, origin: string): void {
  // parseCommittee returns a copy without the extra member fields; we only want its verdict.
  parseCommittee(committee, origin);
}
