/**
 * The public face of a peer: what hosts (daemon, browser, simulator) call. `peer.ts`
 * implements it by wiring the components together.
 */
import type { DvvSet, Key, MemberRecord, PeerId, Ring, SignedAdmission, Sibling, VersionVector } from '@ringstore/core'
import type { Clock, Logger, Network, Signer, Storage } from './interfaces.js'
import type { PeerConfig } from './config.js'
import type { PeerMetrics } from './metrics.js'

export interface PeerOptions {
  readonly network: Network
  readonly storage: Storage
  readonly clock: Clock
  readonly signer: Signer
  readonly logger?: Logger
  /** Merged over DEFAULT_CONFIG and validated (ConfigError on bad values). */
  readonly config?: Partial<PeerConfig>
  /** Addresses this peer can be dialled at (for its member record). */
  readonly addrs?: readonly string[]
  /**
   * This peer's admission certificate (`ringstore admit`): required for a member (weight >
   * 0) of a cluster with `config.clusterId`; carried with its member record.
   */
  readonly admission?: SignedAdmission
  /**
   * This storage's peer had left the cluster (its stored own record says 'left') and did
   * not finish handing its data off: start as the member that left — announce 'left'
   * again, own nothing — so that ownership transfer and hinted handoff can finish. Without
   * it a peer that left and restarts rejoins (core's restartRecord). No effect on a peer
   * that never left.
   */
  readonly resumeLeave?: boolean
  /**
   * Computes the ring of a member table; default a core `RingBuilder` of `config.q` of its
   * own. It must return what `buildRing(records, q)` returns, and the same object again
   * while the table's ring-affecting fields are unchanged. The simulator passes one that
   * shares the work between its peers (a ring is a pure function of the table, and a
   * thousand peers folding the same joins cost a thousand times one).
   */
  readonly ringSource?: RingSource
}

/** See PeerOptions.ringSource. */
export interface RingSource {
  update(records: readonly MemberRecord[]): Ring
}

export interface GetOptions {
  readonly n?: number
  readonly r?: number
  /**
   * Answer from this peer's own replica alone, asking nobody: no quorum, possibly stale,
   * never waits for the network (an offline tab showing its cart). `replies` is then 0:
   * only a replica of the key counts toward R, and a tab's local copy is none (README,
   * "N, R, W"). `n` and `r` are ignored.
   */
  readonly local?: boolean
}

export interface GetResult {
  /** False when no replica holds the key or every sibling is a tombstone. */
  readonly found: boolean
  /** Live values (tombstones excluded), deterministic order. More than one = siblings. */
  readonly values: Uint8Array[]
  /** All siblings including tombstones, with their write times. */
  readonly siblings: Sibling[]
  /** Causal context to hand back to put/delete so the write supersedes what was read. */
  readonly context: VersionVector
  /** The merged version (for tools and tests). */
  readonly clock: DvvSet | null
  /** Replicas that answered before the reply. */
  readonly replies: number
}

export interface PutOptions {
  /** From an earlier get; absent = a blind write, concurrent with every existing version. */
  readonly context?: VersionVector
  readonly n?: number
  readonly w?: number
}

export interface PutResult {
  /** Context covering the new version (use it for the next write of the same writer). */
  readonly context: VersionVector
  /** The dot minted for this write: [actor, counter]. */
  readonly dot: readonly [string, number]
  /** Replicas (this peer's own durable copy included when it holds one) that acknowledged. */
  readonly acks: number
}

export interface PeerStatus {
  readonly peerId: PeerId
  readonly self: MemberRecord
  readonly members: Array<MemberRecord & { readonly reachable: boolean }>
  readonly ring: { readonly q: number; readonly members: Array<{ id: PeerId; weight: number; zone: string; partitions: number }> }
  readonly hintsPending: number
  /** Hints pending per target peer (only targets with some). */
  readonly hintsByTarget: Readonly<Record<PeerId, number>>
  /** Bytes the pending hints take in storage, in all and per target (the same targets as hintsByTarget). */
  readonly hintBytes: number
  readonly hintBytesByTarget: Readonly<Record<PeerId, number>>
  /** The hint store's bounds (PeerConfig hintQuotaBytes, hintQuotaPerTargetBytes, hintMaxAgeMs). */
  readonly hintQuota: { readonly totalBytes: number, readonly perTargetBytes: number, readonly maxAgeMs: number }
  readonly keys: number
  /** The store has no space for writes now (Storage.isFull): writes coordinated here are refused. */
  readonly storageFull: boolean
  /**
   * The admission controller of background work (cluster/background-throttle.ts):
   * `pressure` is the foreground p99 over the last second ÷ config.backgroundYieldAtMs
   * (> 1: background work is slowed); `deferrals` and `deferredMs` count the pauses it
   * lengthened and the time it added.
   */
  readonly background: { readonly pressure: number, readonly deferrals: number, readonly deferredMs: number }
  readonly metrics: PeerMetrics
}

/** Operations the simulator and tests drive directly instead of waiting for timers. */
export interface PeerMaintenance {
  runAntiEntropyRound(): Promise<{ partitions: number; keysRepaired: number }>
  deliverHints(): Promise<number>
  runTransfer(): Promise<{ keysMoved: number; keysDropped: number }>
  collectTombstones(): Promise<number>
  /** This peer's local replica of a key (null if absent): for checkers. */
  localGet(key: Key): Promise<DvvSet | null>
  /** Every key of the local replica with its version: for checkers. */
  localEntries(): AsyncIterable<readonly [Key, DvvSet]>
}
