/**
 * Contracts between the engine's components: the stores of data/, membership and the
 * failure detector of cluster/. Every component declares, in its own deps interface, the
 * part of these it uses (a `Pick`), and `peer.ts` wires one of each together.
 */
import type { DvvSet, Key, MemberRecord, MerkleTree, PeerId, Ring } from '@ringstore/core'

/** The local replica of the `data` namespace, with one in-memory Merkle tree per partition. */
export interface ReplicaStore {
  /** Scan storage and build the Merkle trees. Call once before use. */
  open(): Promise<void>
  get(key: Key): Promise<DvvSet | null>
  /** The stored version and its digest (`clockDigest`, what the key's Merkle leaf holds), or null. */
  getWithDigest(key: Key): Promise<{ readonly clock: DvvSet, readonly digest: Uint8Array } | null>
  /**
   * The digest the key's Merkle leaf holds (its latest durable version), or null when this
   * replica holds none. From memory: no storage read (serves `replica-digest`).
   */
  digest(key: Key): Uint8Array | null
  getMany(keys: readonly Key[]): Promise<Array<DvvSet | null>>
  /**
   * Merge `clock` into the stored version (DVV sync), durably. Merges of one key are
   * serialised so that concurrent merges never lose each other. Resolves with the result.
   */
  merge(key: Key, clock: DvvSet): Promise<DvvSet>
  /**
   * Read-modify-write one key under its per-key lock, in two steps, so that a coordinator
   * can send a new version to the other replicas while it is still being written here.
   * `fn` gets the stored version (null if absent) and the actor to mint with (read under
   * the lock: the epoch may move on just before it, see data/actor-epoch.ts) and returns
   * the new version as `next`, with whatever else its caller needs (the dot it minted).
   * No callback: what the caller needs comes back in the result.
   *
   * Resolves once the version may be sent: before it is durable here when the store stages
   * mints (it then bumps the actor epoch after a crash or a failed write), else once it is
   * durable. Rejects when `fn` throws or the write fails before that point: then nothing
   * may be sent. A `next` equal to the stored version writes nothing.
   */
  stage<T extends { readonly next: DvvSet }>(key: Key, fn: (current: DvvSet | null, actor: string) => T): Promise<Staged<T>>
  /**
   * At stop, before the host closes the storage: wait for staged writes in flight, then
   * record a clean shutdown (a start without one moves to a new actor epoch). Never rejects.
   */
  close(): Promise<void>
  /**
   * The actor id this peer mints dots with: `${peerId}:${epoch}`. The epoch is durable and
   * bumps whenever this store drops data (dropIfUnchanged), because a dot may only be
   * minted by an actor whose every earlier value is still held locally (Riak's vnode epochs).
   */
  actor(): string
  /** Merge many keys in one storage write (one durable commit). */
  mergeMany(items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void>
  /**
   * Delete `key` only if its stored version still equals `expected` (compare-and-delete):
   * used by tombstone GC and by a former owner dropping a handed-off partition. Bumps the
   * actor epoch (durably) before the delete.
   */
  dropIfUnchanged(key: Key, expected: DvvSet): Promise<boolean>
  /** The Merkle tree of one partition (empty tree when nothing is stored there). */
  tree(partition: number): MerkleTree
  /** Partitions holding at least one key locally. */
  partitions(): number[]
  /** Keys stored locally in one partition, in storage order. */
  keysInPartition(partition: number): AsyncIterable<readonly [Key, DvvSet]>
  /** Number of keys stored locally. */
  size(): number
}

/** A write `ReplicaStore.stage` let go: what to send now, and how the local write ends. */
export interface Staged<T> {
  /** What `fn` returned. */
  readonly result: T
  /**
   * The version as stored: `result.next` after the store's normalisation (LWW, clock
   * truncation), or the stored version when nothing changed. This is what replicas get.
   */
  readonly clock: DvvSet
  /**
   * true once the version is durable here (at once when nothing was written or it was
   * durable before staging), false when its write failed (logged; the epoch moves on).
   * Never rejects: a caller that has sent the version has no error left to throw.
   */
  readonly durable: Promise<boolean>
}

/** Versions kept for peers that were unreachable when written (hinted handoff). */
export interface HintStore {
  /** Load the pending-hint index from storage. */
  open(): Promise<void>
  /**
   * Keep `clock` for `target`, merging with a hint already held for the same key. Durable.
   * Rejects with HintQuotaError, keeping nothing new, when the hint would pass a quota.
   */
  add(target: PeerId, key: Key, clock: DvvSet): Promise<void>
  /** Calls `listener` after each hint kept; returns the unsubscribe (the hand-off sleeps while none is held). */
  onAdd(listener: () => void): () => void
  /** Peers we hold hints for. */
  targets(): PeerId[]
  /** Total number of pending hints. */
  pending(): number
  /** Up to `limit` hints for `target`, in storage order; with `after`, only those past that key's hint. */
  batch(target: PeerId, limit: number, after?: Key): Promise<Array<readonly [Key, DvvSet]>>
  /**
   * Delete delivered hints, each only if it is unchanged since it was read (a newer version
   * merged in meanwhile stays pending).
   */
  remove(target: PeerId, delivered: ReadonlyArray<readonly [Key, DvvSet]>): Promise<number>
}

/** The membership table and the ring derived from it. */
export interface MembershipView {
  self(): MemberRecord
  members(): MemberRecord[]
  /** The record held of `id`, if any (O(1), unlike members()). */
  member(id: PeerId): MemberRecord | undefined
  ring(): Ring
  /** Called after the ring changed (a join, a leave, a weight change). Returns an unsubscribe. */
  onRingChange(listener: (previous: Ring, next: Ring) => void): () => void
}

/** Local, per-observer reachability. A down peer is routed around, never removed. */
export interface FailureDetector {
  isReachable(peer: PeerId): boolean
  /** A request to `peer` succeeded / failed (timeout, unreachable). */
  reportSuccess(peer: PeerId): void
  reportFailure(peer: PeerId): void
  /** Called when a peer we had marked unreachable is reachable again. */
  onReachable(listener: (peer: PeerId) => void): () => void
  /** Peers currently marked unreachable. */
  unreachable(): PeerId[]
}
