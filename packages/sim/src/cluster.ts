/**
 * A simulated cluster: N engine peers on one scheduler, one simulated network and one
 * simulated disk each, all driven from one seed. Crash, restart, partition, heal, join and
 * leave are plain method calls, so a workload's fault schedule and a test read the same.
 *
 * A restart is a new process: a new `Peer` instance with the same id, a new network
 * endpoint, a new clock, and a new storage view over the same durable disk (writes that
 * were not yet durable at the crash are gone).
 */
import { encodeRemoval, equalBytes } from '@ringstore/core'
import type { PeerId, Removal, SignedAdmission } from '@ringstore/core'
import { DEFAULT_CONFIG } from '@ringstore/peer'
import type { PeerConfig, Logger } from '@ringstore/peer'
import { admit } from './admit.js'
import { SimClock } from './clock.js'
import { DEFAULT_FSYNC_MS, DRAIN_RETRY_MS, FULL_MESH_MAX_PEERS, HAND_OFF_MAX_MS, RING_REBUILD_DELAY_MS, MEMBERSHIP_POLL_MS, MEMBERSHIP_SETTLE_ROUNDS, SEED_PEERS, SIM_HEARTBEAT_MS, SIM_N, BIG_CLUSTER_TIMINGS, WARM_START_MIN_PEERS, WARM_START_WAVE } from './constants.js'
import { SimHub } from './network.js'
import type { SimHubOptions, SimNetwork } from './network.js'
import { createPeer } from './peer-handle.js'
import type { PeerFactory, SimPeer } from './peer-handle.js'
import type { Rng } from './rng.js'
import { Scheduler } from './scheduler.js'
import { SharedRings } from './shared-rings.js'
import { SimSigner } from './signer.js'
import { SimDisk, SimStorage } from './storage.js'
import { oneWayCut } from './topology.js'
import { writeWarmTables } from './warm-start.js'

/**
 * Engine timings for the simulator: short, so that a run covers many failure-detector,
 * hint and heartbeat periods in a few virtual seconds. Anti-entropy is 0: the checker
 * drives rounds explicitly and counts them.
 */
export const SIM_PEER_CONFIG: Partial<PeerConfig> = {
  q: 128,
  n: SIM_N,
  r: 2,
  w: 2,
  requestTimeoutMs: 200,
  readRepairWindowMs: 200,
  hintRetryBaseMs: 100,
  hintRetryMaxMs: 800,
  antiEntropyIntervalMs: 0,
  heartbeatIntervalMs: SIM_HEARTBEAT_MS,
  // The simulated gossip reaches every running peer at once (no mesh to form), so a
  // changed record is announced once; the gossip rounds bring peers that missed it up to date.
  announceRepeats: 0,
  probeIntervalMs: 200,
  // The daemon's default, at its pace, would never propose in a run (cuts ten minutes old);
  // --ring-checkpoints runs them at the simulator's pace (SIM_RING_CHECKPOINTS).
  ringCheckpoints: false,
  // Long enough that no tombstone is collected while the checker still needs it.
  tombstoneGraceMs: 3_600_000
}

/** `starting`: the process is up, `Peer.start()` has not resolved yet (it serves requests already). */
export type NodeState = 'starting' | 'running' | 'crashed' | 'stopped'

export interface SimNode {
  readonly index: number
  readonly id: PeerId
  readonly disk: SimDisk
  state: NodeState
  /**
   * It announced its leave (no longer a coordinator; stopped once its data is handed off),
   * or the operator removed it while it was down (`removed`: it never runs again).
   */
  left: boolean
  removed?: boolean
  /** Process incarnations started so far (1 after the first start). */
  incarnation: number
  /** Its admission to the cluster's authority, issued at its first start (kept across restarts). */
  admission?: SignedAdmission
  peer: SimPeer
  storage: SimStorage
  clock: SimClock
  network: SimNetwork
  /** Resolves when the current incarnation crashes: clients stop waiting on it. */
  crashed: Promise<void>
  markCrashed: () => void
}

export interface SimClusterOptions {
  readonly peers: number
  readonly rng: Rng
  readonly config?: Partial<PeerConfig>
  readonly network?: Omit<SimHubOptions, 'onFault'>
  /** Largest wall-clock skew of a peer, ms (each peer draws its own in ±skew). */
  readonly clockSkewMs?: number
  /** fsync latency range, virtual ms. */
  readonly fsyncMs?: readonly [min: number, max: number]
  /** Disks that acknowledge writes before they are durable (see SimStorageOptions): a fault. */
  readonly lyingFsync?: boolean
  readonly logger?: (id: PeerId) => Logger
  readonly peerFactory?: PeerFactory
  /** Cluster-level events (crash, restart, partition, …) as text lines, for --verbose. */
  readonly trace?: (line: string) => void
  /**
   * The cluster's authority (docs/trust.md): every peer runs with this cluster id and an
   * admission the authority signed at its first start. Unset: an open cluster.
   */
  readonly authority?: PeerId
  /**
   * How `start()` brings the cluster up: 'warm', as an existing cluster that restarts (every
   * disk holds the member table already: warm-start.ts), or 'cold', every peer joining
   * through the seeds. Default: warm from WARM_START_MIN_PEERS peers, cold below.
   */
  readonly start?: 'warm' | 'cold'
}

/**
 * Whether `peer` holds `id` as left: its record says so, or a ring checkpoint dropped it
 * (only records of members that left before the cut are dropped).
 */
function knowsLeft (peer: SimPeer, id: PeerId): boolean {
  const record = peer.status().members.find((m) => m.id === id)
  return record === undefined ? peer.ringCheckpoint() !== undefined : record.status === 'left'
}

const silent: Logger = { debug () {}, info () {}, warn () {}, error () {} }

function sameOwners (a: ReadonlyArray<PeerId | null>, b: ReadonlyArray<PeerId | null>): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function describeFields (fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length}B>` : v))
  } catch {
    return String(fields)
  }
}

function peerId (index: number): PeerId {
  return `p${index}`
}

export class SimCluster {
  readonly scheduler: Scheduler
  readonly hub: SimHub
  readonly nodes: SimNode[] = []
  /** Engine bugs seen while running (a timer threw, a handler rejected, a frame broke). */
  readonly faults: string[] = []
  /** Error-level log lines of the engine: in a simulation without disk corruption, each is suspect. */
  readonly errorLogs: string[] = []
  private readonly config: Partial<PeerConfig>
  private readonly factory: PeerFactory
  private readonly draining = new Map<SimNode, Promise<boolean>>()
  /** Every peer's ring, computed once per member table for the whole cluster (shared-rings.ts). */
  private readonly rings: SharedRings

  constructor (private readonly options: SimClusterOptions) {
    this.scheduler = new Scheduler((error) => this.fault('a scheduled event threw', error))
    this.hub = new SimHub(this.scheduler, options.rng.fork('network'), {
      // Past FULL_MESH_MAX_PEERS, connections open on demand as with libp2p (whose connection
      // manager never holds one to each of hundreds of peers): a full mesh is S²/2
      // connections, and every heal would reconnect and re-pull all of them.
      mesh: options.peers > FULL_MESH_MAX_PEERS ? 'lazy' : 'full',
      ...options.network,
      onFault: (description, error) => this.fault(description, error)
    })
    // Past FULL_MESH_MAX_PEERS a peer rebuilds its ring at most every RING_REBUILD_DELAY_MS
    // (or when it reads it): starting S peers would otherwise cost S rebuilds on each. Its
    // gossip and probes keep the daemon's pace (BIG_CLUSTER_TIMINGS).
    const big = options.peers > FULL_MESH_MAX_PEERS ? { ringRebuildDelayMs: RING_REBUILD_DELAY_MS, ...BIG_CLUSTER_TIMINGS } : {}
    this.config = { ...SIM_PEER_CONFIG, ...big, ...options.config }
    this.rings = new SharedRings(this.config.q ?? DEFAULT_CONFIG.q)
    this.factory = options.peerFactory ?? createPeer
    for (let i = 0; i < options.peers; i++) this.addNode()
  }

  /** How many of each cluster event happened (crash, restart, partition, …). */
  readonly eventCounts: Record<string, number> = {}

  /** Bumped by every cluster event: what membershipConverged remembers is valid for one value. */
  private stateVersion = 0
  private convergedKey: string | undefined

  /** Count a cluster event of `kind` and record it in the trace. */
  note (kind: string, event: string): void {
    this.stateVersion++
    this.eventCounts[kind] = (this.eventCounts[kind] ?? 0) + 1
    this.options.trace?.(`t=${Math.round(this.scheduler.now)} cluster ${event}`)
  }

  fault (description: string, error?: unknown): void {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : error === undefined ? '' : String(error)
    this.faults.push(`t=${Math.round(this.scheduler.now)}ms ${description}${detail ? ` — ${detail}` : ''}`)
  }

  /** Whether `start()` starts the cluster warm (SimClusterOptions.start). */
  get warmStart (): boolean {
    return (this.options.start ?? (this.options.peers >= WARM_START_MIN_PEERS ? 'warm' : 'cold')) === 'warm'
  }

  /**
   * Start every peer (peer 0 first: it is the seed) and wait for membership to converge,
   * checking after every event, or every `pollMs` for big clusters. A warm start first
   * writes every disk's member table (warm-start.ts), unless a peer ran already, then starts
   * the peers WARM_START_WAVE at a time, as a cluster restarting: a cold one joins them one
   * after another.
   */
  async start (maxMs = this.settleMs, pollMs?: number): Promise<boolean> {
    if (this.warmStart && this.nodes.every((n) => n.incarnation === 0)) {
      await writeWarmTables(this.nodes, this.config, this.options.authority)
      for (let from = 0; from < this.nodes.length; from += WARM_START_WAVE) {
        const wave = this.nodes.slice(from, from + WARM_START_WAVE)
        await this.scheduler.drive(Promise.all(wave.map(async (node) => { await this.startNode(node) })), maxMs)
      }
    } else {
      for (const node of this.nodes) await this.scheduler.drive(this.startNode(node), maxMs)
    }
    return await this.settleMembership(() => true, maxMs, pollMs)
  }

  /**
   * Run until membership converged (membershipConverged) and `also()` holds, for at most
   * `maxMs`. Checked after every event in small clusters (the seeds' runs were tuned so);
   * past FULL_MESH_MAX_PEERS, every MEMBERSHIP_POLL_MS (one check costs the cluster size).
   */
  async settleMembership (also: () => boolean, maxMs = this.settleMs, pollMs?: number): Promise<boolean> {
    const done = (): boolean => also() && this.membershipConverged()
    const every = pollMs ?? (this.nodes.length > FULL_MESH_MAX_PEERS ? MEMBERSHIP_POLL_MS : 0)
    return every > 0
      ? await this.scheduler.pollUntil(done, maxMs, every)
      : await this.scheduler.runUntil(done, maxMs)
  }

  /** How long membership may take to settle (MEMBERSHIP_SETTLE_ROUNDS gossip rounds), virtual ms. */
  get settleMs (): number {
    return MEMBERSHIP_SETTLE_ROUNDS * this.roundMs
  }

  /** A membership gossip round of its peers (PeerConfig.heartbeatIntervalMs), virtual ms. */
  get roundMs (): number {
    return this.config.heartbeatIntervalMs ?? DEFAULT_CONFIG.heartbeatIntervalMs
  }

  peer (index: number): SimPeer {
    return this.node(index).peer
  }

  node (index: number): SimNode {
    const node = this.nodes[index]
    if (node === undefined) throw new RangeError(`no peer ${index}`)
    return node
  }

  /** Indices of running peers (a peer draining after its leave included). */
  running (): number[] {
    return this.nodes.filter((n) => n.state === 'running').map((n) => n.index)
  }

  /** Running peers that are members: where clients send their operations. */
  coordinators (): number[] {
    return this.nodes.filter((n) => n.state === 'running' && !n.left).map((n) => n.index)
  }

  crashedNodes (): number[] {
    return this.nodes.filter((n) => n.state === 'crashed').map((n) => n.index)
  }

  /** Kill the process: timers stop, connections drop, non-durable writes vanish. */
  crash (index: number): void {
    const node = this.node(index)
    if (node.state !== 'running' && node.state !== 'starting') return
    this.note('crash', `crash ${node.id} (was ${node.state})`)
    node.state = 'crashed'
    node.clock.halt()
    node.storage.crash()
    this.hub.crash(node.id)
    node.markCrashed()
  }

  /**
   * A new process with the same identity and the same disk. Resolves once the engine has
   * started; it does not drive virtual time (call it from an event, or `scheduler.drive` it).
   */
  async restart (index: number): Promise<void> {
    const node = this.node(index)
    if (node.state !== 'crashed') return
    this.note('restart', `restart ${node.id}`)
    await this.startNode(node)
  }

  partition (groups: ReadonlyArray<readonly number[]>): void {
    this.note('partition', `partition ${groups.map((g) => `[${g.map((i) => this.node(i).id).join(' ')}]`).join(' ')}`)
    this.hub.partition(groups.map((g) => g.map((i) => this.node(i).id)))
  }

  isolate (index: number): void {
    this.note('isolate', `isolate ${this.node(index).id}`)
    this.hub.isolate(this.node(index).id)
  }

  /** An asymmetric fault: packets from `from` to `to` are dropped, the other way flows. */
  cutOneWay (from: number, to: number): void {
    this.note('one-way', `cut ${this.node(from).id} → ${this.node(to).id}`)
    this.hub.setReachability(oneWayCut(this.node(from).id, this.node(to).id))
  }

  heal (): void {
    this.note('heal', 'heal')
    this.hub.heal()
  }

  /** A brand-new peer joins through the seeds. Does not drive virtual time (see `restart`). */
  async join (): Promise<number> {
    const node = this.addNode()
    this.note('join', `join ${node.id}`)
    await this.startNode(node)
    return node.index
  }

  /**
   * Graceful leave: announce it, then keep the process running until its data and hints
   * are handed off (as an operator would), then stop. Resolves false when the hand-off did
   * not finish within `maxMs` (a partition): the peer stays up, draining; call `drain`
   * again later. Does not drive virtual time (see `restart`).
   */
  async leave (index: number, maxMs = HAND_OFF_MAX_MS): Promise<boolean> {
    const node = this.node(index)
    if (node.state !== 'running' || node.left) return false
    node.left = true
    this.note('leave', `leave ${node.id}`)
    await node.peer.leave()
    return await this.drain(node.index, maxMs)
  }

  /**
   * The operator removes a crashed member for good (`ringstore remove`): the cluster's
   * authority signs the removal, member `by` takes and gossips it. The removed process
   * never runs again (it is dead; what only it held is gone with it, which the checker
   * allows for its writes acknowledged by it alone). Needs an admitted cluster.
   */
  async remove (index: number, by: number): Promise<boolean> {
    const node = this.node(index)
    const authority = this.options.authority
    if (authority === undefined || node.state !== 'crashed' || node.left) return false
    node.left = true
    node.removed = true
    node.state = 'stopped'
    this.note('remove', `remove ${node.id} (through ${this.node(by).id})`)
    const removal: Removal = { cluster: authority, peer: node.id, removedAt: Math.floor(this.node(by).clock.now()) }
    const signed = { removal, signature: await new SimSigner(authority).sign(encodeRemoval(removal)) }
    return await this.node(by).peer.remove(signed)
  }

  /** Whether the operator may remove a member now: an admitted cluster that removed none yet (once per run). */
  canRemove (): boolean {
    return this.options.authority !== undefined && this.removedIds().size === 0
  }

  /** Ids of the members the operator removed. */
  removedIds (): Set<PeerId> {
    return new Set(this.nodes.filter((n) => n.removed === true).map((n) => n.id))
  }

  /** Hand off a left peer's data and hints, then stop it. One drain at a time per peer. */
  async drain (index: number, maxMs = HAND_OFF_MAX_MS): Promise<boolean> {
    const node = this.node(index)
    const current = this.draining.get(node)
    if (current !== undefined) return await current
    const drain = this.drainOnce(node, maxMs).finally(() => this.draining.delete(node))
    this.draining.set(node, drain)
    return await drain
  }

  private async drainOnce (node: SimNode, maxMs: number): Promise<boolean> {
    const deadline = this.scheduler.now + maxMs
    while (node.state === 'running' && !this.drained(node)) {
      if (this.scheduler.now >= deadline) return false
      try {
        await node.peer.runTransfer()
        await node.peer.deliverHints()
      } catch (error) {
        this.fault(`hand-off of leaving ${node.id} threw`, error)
      }
      if (!this.drained(node)) await new Promise((resolve) => this.scheduler.schedule(DRAIN_RETRY_MS, () => resolve(undefined)))
    }
    if (node.state !== 'running') return false
    this.note('stopped', `${node.id} handed off its data and stopped`)
    node.state = 'stopped'
    node.clock.halt()
    await node.peer.stop()
    return true
  }

  /**
   * Safe to stop: every other running peer knows it left (so nobody routes writes to it
   * any more) and it holds no data and no hints. An operator checks the same before
   * decommissioning a machine.
   */
  private drained (node: SimNode): boolean {
    const status = node.peer.status()
    if (status.keys > 0 || status.hintsPending > 0) return false
    return this.nodes.every((other) => other === node || other.state !== 'running' || knowsLeft(other.peer, node.id))
  }

  /**
   * Every running peer lists every peer that has not left, and all running peers compute
   * the same ring.
   */
  membershipConverged (): boolean {
    if (this.nodes.some((n) => n.state === 'starting')) return false
    const running = this.nodes.filter((n) => n.state === 'running')
    const first = running[0]
    if (first === undefined) return true
    // Same table digest everywhere first (O(1) per peer): checked after every event, so the
    // cost of a check must not be the cluster size per peer.
    const digest = first.peer.membershipDigest()
    for (const node of running) if (!equalBytes(node.peer.membershipDigest(), digest)) return false
    // The rest costs the cluster size (and the ring size per peer): done once per table and
    // cluster state, then remembered (a caller may poll this after every event while another
    // condition, reachability, is still settling).
    const key = `${this.stateVersion}/${Buffer.from(digest).toString('base64')}`
    if (key === this.convergedKey) return true
    if (!this.sameTablesAndRings(first, running)) return false
    this.convergedKey = key
    return true
  }

  /** The running peers' tables (all with one digest) list the expected members, and all derived the same ring. */
  private sameTablesAndRings (first: SimNode, running: readonly SimNode[]): boolean {
    // Same records everywhere: the active members of one table are the expected ones...
    const expected = this.nodes.filter((n) => !n.left && n.incarnation > 0).map((n) => n.id).sort().join(',')
    const ids = first.peer.status().members.filter((m) => m.status === 'active').map((m) => m.id).sort().join(',')
    if (ids !== expected) return false
    // ...and every peer derived the same ring from them.
    const owners = first.peer.ring().owners
    return running.every((node) => sameOwners(owners, node.peer.ring().owners))
  }

  /** The host's logger for a peer, with error-level lines also kept in `errorLogs`. */
  private logger (id: PeerId): Logger {
    const inner = this.options.logger?.(id) ?? silent
    return {
      debug: (msg, fields) => inner.debug(msg, fields),
      info: (msg, fields) => inner.info(msg, fields),
      warn: (msg, fields) => inner.warn(msg, fields),
      error: (msg, fields) => {
        this.errorLogs.push(`t=${Math.round(this.scheduler.now)}ms ${id}: ${msg}${fields === undefined ? '' : ` ${describeFields(fields)}`}`)
        inner.error(msg, fields)
      }
    }
  }

  private addNode (): SimNode {
    const index = this.nodes.length
    const disk = new SimDisk()
    const node = { index, id: peerId(index), disk, state: 'stopped', left: false, incarnation: 0 } as SimNode
    this.nodes.push(node)
    return node
  }

  private async startNode (node: SimNode): Promise<void> {
    node.incarnation++
    const label = `${node.id}/${node.incarnation}`
    const rng = this.options.rng
    const [fsyncMin, fsyncMax] = this.options.fsyncMs ?? DEFAULT_FSYNC_MS
    const fsyncRng = rng.fork(`fsync/${label}`)
    node.storage = new SimStorage(node.disk, this.scheduler, {
      fsyncDelayMs: () => fsyncMin + fsyncRng.float() * (fsyncMax - fsyncMin),
      lyingFsync: this.options.lyingFsync ?? false
    })
    const skew = this.options.clockSkewMs ?? 0
    // A peer's skew is a property of its machine: the same on every incarnation.
    const skewMs = skew === 0 ? 0 : rng.fork(`skew/${node.id}`).int(-skew, skew)
    node.clock = new SimClock(this.scheduler, rng.fork(`clock/${label}`), { skewMs, onError: (e) => this.fault(`a timer of ${node.id} threw`, e) })
    node.network = this.hub.endpoint(node.id)
    node.crashed = new Promise<void>((resolve) => { node.markCrashed = resolve })
    const seeds = this.nodes.filter((n) => n.index < SEED_PEERS && n.id !== node.id).map((n) => n.id)
    const authority = this.options.authority
    if (authority !== undefined) node.admission ??= await admit(authority, node.id, this.config, Math.floor(node.clock.now()))
    node.peer = this.factory({
      network: node.network,
      storage: node.storage,
      clock: node.clock,
      signer: new SimSigner(node.id),
      logger: this.logger(node.id),
      config: { ...this.config, seeds, ...(authority === undefined ? {} : { clusterId: authority }) },
      addrs: [node.id],
      ringSource: this.rings.source(),
      ...(node.admission === undefined ? {} : { admission: node.admission })
    })
    node.state = 'starting'
    const started = node.peer.start()
    let outcome: 'started' | 'crashed'
    try {
      outcome = await Promise.race([started.then(() => 'started' as const), node.crashed.then(() => 'crashed' as const)])
    } catch (error) {
      // A start that fails is an engine bug here (its disk and network are fine): report it
      // and treat the process as dead, so that the checker's heal restarts it.
      this.fault(`${node.id} failed to start`, error)
      this.crash(node.index)
      return
    }
    if (outcome === 'crashed') started.catch(() => {})
    else {
      node.state = 'running'
      this.note('started', `${node.id} started (incarnation ${node.incarnation})`)
    }
  }
}
