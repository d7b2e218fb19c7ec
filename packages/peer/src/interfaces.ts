/**
 * The three narrow doors through which the replication engine reaches the world.
 * Browser, Node daemon and simulator each hand the engine their own implementation;
 * nothing in `peer` knows which one it got.
 */
import type { PeerId, SignedRecord, SignedRemoval } from '@ringstore/core'
import type { Request, Response } from '@ringstore/core'

/** A cancellable timer handle. */
export interface TimerHandle { readonly id: number }

/** Time and randomness. The simulator's clock is virtual and seeded. */
export interface Clock {
  /** Wall-clock milliseconds (monotone non-decreasing within one process). */
  now(): number
  /** Run `fn` after `ms` milliseconds (virtual ms in the simulator). */
  setTimer(ms: number, fn: () => void): TimerHandle
  clearTimer(handle: TimerHandle): void
  /** A uniformly distributed float in [0, 1); seeded in the simulator. */
  random(): number
}

/** Storage namespaces: replicated data, hints for other peers, and the peer's own metadata. */
export type Namespace = 'data' | 'hints' | 'meta'

export interface StorageOp {
  readonly ns: Namespace
  readonly key: string
  /** `null` deletes the key. */
  readonly value: Uint8Array | null
}

export interface ScanOptions {
  /** Inclusive lower bound (string order of keys). */
  readonly gte?: string
  /** Exclusive upper bound. */
  readonly lt?: string
  readonly limit?: number
}

/**
 * Byte storage with namespaces. Keys sort as JavaScript strings compare (UTF-16 code units).
 * An op the adapter refuses (unknown namespace, key not a string, value neither bytes nor
 * null) rejects with InvalidStorageOpError, and a write holding one changes nothing; after
 * close, every call rejects with StorageClosedError. Every adapter runs the conformance
 * suite that checks this contract (runStorageConformance, packages/testkit).
 */
export interface Storage {
  /** The value, or undefined when absent. */
  get(ns: Namespace, key: string): Promise<Uint8Array | undefined>
  /** Values in the same order as `keys`. */
  getMany(ns: Namespace, keys: readonly string[]): Promise<Array<Uint8Array | undefined>>
  /**
   * True while the store knows it has no space for writes (a write failed for lack of
   * space, and no space came back since): the peer refuses to coordinate writes then
   * (StorageFullError) instead of minting versions it cannot keep. Optional: adapters
   * that cannot tell never report full.
   */
  isFull?(): boolean
  /** Apply all ops atomically; durable (survives a crash) once the promise resolves. */
  write(ops: readonly StorageOp[]): Promise<void>
  /** Entries of one namespace in key order within the bounds. */
  scan(ns: Namespace, options?: ScanOptions): AsyncIterable<readonly [string, Uint8Array]>
  /** Flush and release resources; further calls reject. */
  close(): Promise<void>
}

/** What the engine hands the network when it starts. */
export interface NetworkHandlers {
  /** Answer a request from a peer. Must not throw: failures are error responses. */
  onRequest(from: PeerId, request: Request): Promise<Response>
  /**
   * A signed membership record arrived by gossip (already checked to be authored by its
   * record's id), with its author's admission when it carries one.
   */
  onAnnounce(from: PeerId, signed: SignedRecord): void
  /**
   * An operator's removal of a member arrived by gossip (unverified here: membership checks
   * the authority's signature). Any peer may relay one: it is the authority's word, not the
   * sender's.
   */
  onRemoval?(from: PeerId, removal: SignedRemoval): void
  /** A connection to `peer` is up / gone (a hint for the failure detector, not a verdict). */
  onPeerConnected(peer: PeerId): void
  onPeerDisconnected(peer: PeerId): void
}

/** Request/response to a peer id, gossip for membership, connection events. */
export interface Network {
  readonly localPeer: PeerId
  start(handlers: NetworkHandlers): Promise<void>
  stop(): Promise<void>
  /**
   * Send one request and await its response. Rejects with `PeerUnreachableError` when the
   * peer cannot be reached and `RequestTimeoutError` after `timeoutMs`.
   */
  request(peer: PeerId, request: Request, timeoutMs: number): Promise<Response>
  /** Best-effort gossip of our own signed membership record (and admission) to the cluster. */
  announce(signed: SignedRecord): void
  /** Best-effort gossip of an operator's removal of a member (cluster/membership.ts). */
  announceRemoval(removal: SignedRemoval): void
  /** Connect to a seed address; resolves with its peer id. */
  dial(address: string): Promise<PeerId>
  /** Peers with a live connection now. */
  connectedPeers(): PeerId[]
}

/**
 * Signs and verifies member records, so that a record about X relayed by Y (a seed's
 * table) is still provably X's own. libp2p adapters use the peer's private key; the
 * simulator uses a deterministic stand-in.
 */
export interface Signer {
  sign(data: Uint8Array): Promise<Uint8Array>
  verify(peer: PeerId, data: Uint8Array, signature: Uint8Array): Promise<boolean>
}

/** Structured log sink; hosts route it to stderr, the console or a test buffer. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}
