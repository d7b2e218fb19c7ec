/**
 * A small harness for the cluster-path tests: peers made of hand-built component deps, a
 * simple in-memory ReplicaStore (Map + one Merkle tree per partition), the loopback
 * network and a manual clock, and a request handler that answers the cluster requests.
 * Deliberately independent of the data path's replica store and request handler, so these
 * tests pin down the cluster components' own behaviour.
 */
import {
  MerkleTree, buildRing, clockDigest, clockEqual, emptyClock, newMemberRecord, partitionOf, sync, update
} from '@ringstore/core'
import type { DvvSet, Key, MemberRecord, PeerId, Request, Response, Ring, SignedAdmission } from '@ringstore/core'
import type { HintStore, MembershipView, ReplicaStore, Staged } from '../src/components.js'
import { PeerRpc } from '../src/protocol/rpc.js'
import { resolveConfig } from '../src/config.js'
import type { PeerConfig } from '../src/config.js'
import type { Logger, Network } from '../src/interfaces.js'
import { createMetrics } from '../src/metrics.js'
import type { PeerMetrics } from '../src/metrics.js'
import { MemoryStorage } from '@ringstore/testkit'
import { LoopbackHub, ManualClock, TestSigner } from '@ringstore/testkit'
import type { LoopbackNetwork } from '@ringstore/testkit'
import { LocalFailureDetector } from '../src/cluster/failure-detector.js'
import type { Membership } from '../src/cluster/membership.js'
import { membersReply } from '../src/protocol/members-pull.js'
import { membersView } from '../src/protocol/members-view.js'
import { ringCheckpoint } from '../src/protocol/ring-checkpoint.js'

export const silentLogger: Logger = { debug () {}, info () {}, warn () {}, error () {} }

/** A ReplicaStore over a Map: DVV sync on merge, Merkle trees kept in step. */
export class TestReplicaStore implements ReplicaStore {
  readonly data = new Map<Key, DvvSet>()
  readonly #trees = new Map<number, MerkleTree>()
  readonly #q: number
  readonly #actor: string
  /** Called before each dropIfUnchanged compares: lets a test write "during" a transfer. */
  beforeDrop: ((key: Key) => Promise<void>) | undefined

  constructor (q: number, actor: string) {
    this.#q = q
    this.#actor = actor
  }

  async open (): Promise<void> {}
  async get (key: Key): Promise<DvvSet | null> { return this.data.get(key) ?? null }
  async getMany (keys: readonly Key[]): Promise<Array<DvvSet | null>> { return keys.map((k) => this.data.get(k) ?? null) }
  async getWithDigest (key: Key): Promise<{ clock: DvvSet, digest: Uint8Array } | null> {
    const clock = this.data.get(key)
    return clock === undefined ? null : { clock, digest: clockDigest(clock) }
  }

  digest (key: Key): Uint8Array | null { return this.tree(partitionOf(key, this.#q)).get(key) ?? null }
  actor (): string { return this.#actor }
  size (): number { return this.data.size }

  async merge (key: Key, clock: DvvSet): Promise<DvvSet> {
    return this.#store(key, sync(this.data.get(key) ?? emptyClock(), clock))
  }

  async stage<T extends { readonly next: DvvSet }> (key: Key, fn: (current: DvvSet | null, actor: string) => T): Promise<Staged<T>> {
    const result = fn(this.data.get(key) ?? null, this.#actor)
    return { result, clock: this.#store(key, result.next), durable: Promise.resolve(true) }
  }

  async close (): Promise<void> {}

  async mergeMany (items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void> {
    for (const [key, clock] of items) await this.merge(key, clock)
  }

  async dropIfUnchanged (key: Key, expected: DvvSet): Promise<boolean> {
    await this.beforeDrop?.(key)
    const current = this.data.get(key)
    if (current === undefined || !clockEqual(current, expected)) return false
    this.data.delete(key)
    this.tree(partitionOf(key, this.#q)).set(key, null)
    return true
  }

  tree (partition: number): MerkleTree {
    let tree = this.#trees.get(partition)
    if (tree === undefined) {
      tree = new MerkleTree()
      this.#trees.set(partition, tree)
    }
    return tree
  }

  partitions (): number[] {
    return [...this.#trees].filter(([, t]) => t.size > 0).map(([p]) => p).sort((a, b) => a - b)
  }

  async * keysInPartition (partition: number): AsyncIterable<readonly [Key, DvvSet]> {
    const keys = [...this.data.keys()].filter((k) => partitionOf(k, this.#q) === partition).sort()
    for (const key of keys) {
      const clock = this.data.get(key)
      if (clock !== undefined) yield [key, clock]
    }
  }

  /** Test helper: a local write with a new dot of this store's actor. */
  async write (key: Key, value: string | null, ts: number, context: DvvSet | null = null): Promise<DvvSet> {
    const bytes = value === null ? null : new TextEncoder().encode(value)
    const staged = await this.stage(key, (current, actor) => {
      const ctx = context === null ? [] : context.entries.map((e) => [e.actor, e.counter] as const)
      return { next: update(current ?? emptyClock(), ctx, { value: bytes, ts }, actor) }
    })
    return staged.clock
  }

  #store (key: Key, clock: DvvSet): DvvSet {
    this.data.set(key, clock)
    this.tree(partitionOf(key, this.#q)).set(key, clockDigest(clock))
    return clock
  }
}

const noHints: HintStore = {
  async open () {},
  async add () {},
  onAdd: () => () => {},
  targets: () => [],
  pending: () => 0,
  async batch () { return [] },
  async remove () { return 0 }
}

/** A MembershipView over a fixed ring (tests of AE, transfer and GC do not need gossip). */
export class StaticMembership implements MembershipView {
  #ring: Ring
  readonly #listeners = new Set<(previous: Ring, next: Ring) => void>()
  constructor (ring: Ring) { this.#ring = ring }
  self (): never { throw new Error('not used') }
  members (): [] { return [] }
  /** The ring's members as active weight-1 records (the failure detector keeps members only). */
  member (id: PeerId): MemberRecord | undefined {
    return this.#ring.members.has(id) ? newMemberRecord({ id, addrs: [], weight: 1, zone: 'z', joinedAt: 1 }) : undefined
  }
  ring (): Ring { return this.#ring }
  onRingChange (listener: (previous: Ring, next: Ring) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  setRing (next: Ring): void {
    const previous = this.#ring
    this.#ring = next
    for (const listener of this.#listeners) listener(previous, next)
  }
}

/** A ring of equal-weight members in one zone each (so preference lists are the first n distinct owners). */
export function ringOf (ids: readonly PeerId[], q: number, joinedAt: (id: PeerId, i: number) => number = (_, i) => i): Ring {
  return buildRing(ids.map((id, i) => newMemberRecord({ id, addrs: [], weight: 1, zone: `z-${id}`, joinedAt: joinedAt(id, i) })), q)
}

/**
 * Everything the cluster-path components of one test node may use (each takes the part its
 * deps interface names). Writable: a test may swap the network, the replica store or the
 * membership in before it builds a component.
 */
export interface NodeDeps {
  id: PeerId
  addrs?: readonly string[]
  config: PeerConfig
  clock: ManualClock
  network: Network
  storage: MemoryStorage
  signer: TestSigner
  log: typeof silentLogger
  metrics: PeerMetrics
  replicas: ReplicaStore
  hints: HintStore
  membership: MembershipView
  detector: LocalFailureDetector
  /** Sends through `network` as it is at each call (recordRequests swaps it). */
  rpc: PeerRpc
  /** The node's admission to `config.clusterId` (admission tests). */
  admission?: SignedAdmission
  isRunning: () => boolean
}

export interface TestNode {
  readonly id: PeerId
  readonly deps: NodeDeps
  readonly replicas: TestReplicaStore
  readonly network: LoopbackNetwork
  storage: MemoryStorage
  /** Overrides the default answer to a request (return undefined to fall through). */
  intercept: ((from: PeerId, request: Request) => Promise<Response | undefined>) | undefined
}

export class TestCluster {
  readonly clock = new ManualClock(1_000_000)
  readonly hub = new LoopbackHub(this.clock)
  readonly nodes = new Map<PeerId, TestNode>()
  readonly config: PeerConfig

  constructor (config: Partial<PeerConfig> = {}) {
    this.config = resolveConfig({ q: 16, n: 3, r: 2, w: 2, antiEntropyIntervalMs: 0, ...config })
  }

  /** A node with a static membership and the real failure detector (not started). */
  add (id: PeerId, options: { config?: Partial<PeerConfig>, storage?: MemoryStorage, membership?: MembershipView } = {}): TestNode {
    const config = resolveConfig({ ...this.config, ...options.config })
    const replicas = new TestReplicaStore(config.q, `${id}:0`)
    const network = this.hub.network(id)
    const membership = options.membership ?? new StaticMembership(ringOf([], config.q))
    // Requests go through `deps.network` as it is at each call (recordRequests swaps it).
    const sender = { request: async (peer: PeerId, request: Request, timeoutMs: number) => await deps.network.request(peer, request, timeoutMs) }
    const detector = new LocalFailureDetector({ id, config, clock: this.clock, network: sender, log: silentLogger, membership: { member: (peer) => deps.membership.member(peer) } })
    const deps: NodeDeps = {
      id,
      config,
      clock: this.clock,
      network,
      storage: options.storage ?? new MemoryStorage(),
      signer: new TestSigner(id),
      log: silentLogger,
      metrics: createMetrics(),
      replicas,
      hints: noHints,
      membership,
      detector,
      rpc: new PeerRpc({ network: sender, detector, timeoutMs: config.requestTimeoutMs }),
      isRunning: () => true
    }
    const node: TestNode = { id, deps, replicas, network, storage: deps.storage, intercept: undefined }
    this.nodes.set(id, node)
    return node
  }

  node (id: PeerId): TestNode {
    const node = this.nodes.get(id)
    if (node === undefined) throw new Error(`no node ${id}`)
    return node
  }

  /** Start the node's network with handlers answering the cluster requests. */
  async startNetwork (node: TestNode): Promise<void> {
    const detector = node.deps.detector
    await node.network.start({
      onRequest: async (from, request) => await this.#answer(node, from, request),
      onAnnounce: (from, signed) => { void membershipOf(node)?.handleAnnounce(from, signed) },
      onRemoval: (from, removal) => { void membershipOf(node)?.handleRemoval(from, removal) },
      onPeerConnected: (peer) => {
        detector.onPeerConnected(peer)
        membershipOf(node)?.onPeerConnected(peer)
      },
      onPeerDisconnected: (peer) => { detector.onPeerDisconnected(peer) }
    })
  }

  /** Requests of one type sent so far (optionally only from one peer). */
  sentCount (type: Request['type'], from?: PeerId): number {
    return this.hub.sent.filter((m) => m.type === type && (from === undefined || m.from === from)).length
  }

  async #answer (node: TestNode, from: PeerId, request: Request): Promise<Response> {
    const intercepted = await node.intercept?.(from, request)
    if (intercepted !== undefined) return intercepted
    // deps.replicas, not node.replicas: a test may swap in the data path's real store.
    const replicas = node.deps.replicas
    switch (request.type) {
      case 'members-pull': {
        const membership = membershipOf(node)
        return membership === undefined ? { type: 'members', records: [] } : membersReply(membership.signedRecords(), membership.removals())
      }
      case 'members-view': {
        const membership = membershipOf(node)
        return membership === undefined ? { type: 'members', records: [] } : membersView.serve({ membership }, request, from)
      }
      case 'ring-checkpoint': {
        const membership = membershipOf(node)
        return membership === undefined ? { type: 'error', code: 'unavailable', message: 'no membership' } : await ringCheckpoint.serve({ membership }, request, from)
      }
      case 'ae-nodes': return { type: 'hashes', hashes: replicas.tree(request.partition).nodes(request.level, request.indices) }
      case 'ae-buckets': return { type: 'entries', entries: replicas.tree(request.partition).bucketEntries(request.buckets) }
      case 'ae-roots': return { type: 'hashes', hashes: request.partitions.map((p) => replicas.tree(p).root()) }
      case 'replica-get-many': {
        const clocks = await replicas.getMany(request.keys)
        return { type: 'clocks', items: request.keys.map((k, i) => [k, clocks[i] ?? null] as const) }
      }
      case 'replica-put-many':
        await replicas.mergeMany(request.items)
        return { type: 'ok' }
      default: return { type: 'error', code: 'bad-request', message: `not handled: ${request.type}` }
    }
  }
}

/** The node's Membership when it runs the real one (membership tests), else undefined. */
function membershipOf (node: TestNode): Membership | undefined {
  const m = node.deps.membership as Partial<Membership>
  return typeof m.signedRecords === 'function' ? m as Membership : undefined
}

/** Text of every live sibling, sorted: compares replicas in tests. */
export function valuesOf (clock: DvvSet | null | undefined): string[] {
  if (clock === null || clock === undefined) return []
  const decoder = new TextDecoder()
  return [...clock.entries.flatMap((e) => e.values), ...clock.anonymous]
    .map((s) => s.value === null ? '<tombstone>' : decoder.decode(s.value)).sort()
}

/**
 * Replace the node's network (as its components see it) by a wrapper that records every
 * request attempted, including those that never reach the hub (stalled or blocked links).
 */
export function recordRequests (node: TestNode): Array<{ to: PeerId, type: Request['type'] }> {
  const log: Array<{ to: PeerId, type: Request['type'] }> = []
  const inner = node.network
  node.deps.network = {
    get localPeer () { return inner.localPeer },
    start: async (handlers) => { await inner.start(handlers) },
    stop: async () => { await inner.stop() },
    request: async (peer, request, timeoutMs) => {
      log.push({ to: peer, type: request.type })
      return await inner.request(peer, request, timeoutMs)
    },
    announce: (signed) => { inner.announce(signed) },
    announceRemoval: (removal) => { inner.announceRemoval(removal) },
    dial: async (address) => await inner.dial(address),
    connectedPeers: () => inner.connectedPeers()
  }
  return log
}
