/**
 * A peer: the replication engine wired together. It builds each component with the deps
 * that component declares (data/: replica store, hints; coordinator/: get, put; cluster/:
 * membership, failure detector, handoff, anti-entropy, ownership transfer, tombstone GC),
 * serves other peers' requests through the protocol router (protocol/), routes network
 * events to the components, and offers the public API of api.ts plus the maintenance
 * hooks the simulator and tests drive directly.
 *
 * Lifecycle: new → start() → running → stop() → stopped. A stopped peer does not restart:
 * build a new Peer over the same storage (that is what a process restart is). The host
 * owns the storage and closes it after stop().
 */
import { clientKeyProblem, replicaNeighbours, ringSummary, validateClock, validateKey, validateValue } from '@ringstore/core'
import type { DvvSet, Key, KeyAccess, MemberRecord, PeerId, Ring, RingCheckpoint, SignedAdmission, SignedRemoval } from '@ringstore/core'
import type { GetOptions, GetResult, PeerMaintenance, PeerOptions, PeerStatus, PutOptions, PutResult } from './api.js'
import { AntiEntropy } from './cluster/anti-entropy.js'
import { BackgroundThrottle, FOREGROUND_REQUESTS } from './cluster/background-throttle.js'
import { THROTTLE_MAX_PAUSE_MS, THROTTLE_WINDOW_MS } from './constants.js'
import { LocalFailureDetector } from './cluster/failure-detector.js'
import { HintedHandoff } from './cluster/handoff.js'
import { Membership } from './cluster/membership.js'
import { TombstoneCollector } from './cluster/tombstone-gc.js'
import { HintExpiry } from './cluster/hint-expiry.js'
import { OwnershipTransfer } from './cluster/transfer.js'
import type { TransferResult } from './cluster/transfer.js'
import { checkAdmission, resolveConfig } from './config.js'
import type { PeerConfig } from './config.js'
import { GetCoordinator } from './coordinator/get.js'
import { readAnswer } from './coordinator/get-core.js'
import { PutCoordinator } from './coordinator/put.js'
import { StorageHintStore } from './data/hint-store.js'
import { StorageReplicaStore } from './data/replica-store.js'
import { KeyRightsError, PeerStoppedError, QuorumNotMetError, StorageFullError, describeError } from './errors.js'
import type { Clock, Logger, Network, NetworkHandlers, Storage } from './interfaces.js'
import { createMetrics, observeLatency } from './metrics.js'
import type { Operation, PeerMetrics } from './metrics.js'
import { operationOf } from './protocol/coordinate-put.js'
import { createRouter } from './protocol/router.js'
import { NotifyingReplicaStore, WatchNotifier } from './cluster/watch-notifier.js'
import { WatchRegistry } from './cluster/watch-registry.js'
import { Watches } from './coordinator/watches.js'
import type { WatchListener } from './coordinator/watches.js'
import { clientAccess, memberAccess } from './protocol/replica-access.js'
import { PeerRpc } from './protocol/rpc.js'
import { resolveQuorum } from './quorum.js'

type RingSummary = ReturnType<typeof ringSummary>

/** A Logger that drops everything (the default when the host gives none). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined
}

type PeerState = 'new' | 'starting' | 'running' | 'stopped'

export class Peer implements PeerMaintenance {
  readonly id: PeerId
  readonly config: PeerConfig
  readonly metrics: PeerMetrics
  readonly #clock: Clock
  readonly #network: Network
  readonly #storage: Storage
  readonly #log: Logger
  /** The store itself, and as the engine uses it (reporting changes to watchers). */
  readonly #stored: StorageReplicaStore
  readonly #replicas: NotifyingReplicaStore
  readonly #watchRegistry: WatchRegistry
  readonly #watches: Watches
  readonly #notifier: WatchNotifier
  readonly #hints: StorageHintStore
  readonly #membership: Membership
  readonly #detector: LocalFailureDetector
  readonly #handoff: HintedHandoff
  readonly #antiEntropy: AntiEntropy
  readonly #transfer: OwnershipTransfer
  readonly #tombstones: TombstoneCollector
  readonly #hintExpiry: HintExpiry
  readonly #puts: PutCoordinator
  readonly #gets: GetCoordinator
  readonly #throttle: BackgroundThrottle
  #state: PeerState = 'new'
  /** True from network start until stop: incoming requests are served (even while starting). */
  #serving = false
  #summary: { readonly ring: Ring, readonly summary: RingSummary } | undefined

  /**
   * Throws ConfigError for a bad configuration; nothing is started or touched yet. Each
   * component gets only what it declares in its deps interface: the stores, the failure
   * detector and the rpc that reports to it, then membership, then the rest.
   */
  constructor (options: PeerOptions) {
    const config = this.config = resolveConfig(options.config)
    const id = this.id = options.network.localPeer
    checkAdmission(config, id, options.admission)
    const { network, storage, signer, clock } = options
    const log = this.#log = options.logger ?? silentLogger
    const metrics = this.metrics = createMetrics()
    this.#clock = clock
    this.#network = network
    this.#storage = storage
    const isRunning = (): boolean => this.#state === 'running' || this.#state === 'starting'
    // A light peer stages nothing: a browser tab rarely stops cleanly, and each unclean
    // stop of a staging store costs a new actor epoch (data/replica-store.ts, "Staged mints").
    const stored = this.#stored = new StorageReplicaStore({ id, storage, config, log, metrics, now: () => clock.now(), stagedMints: config.weight > 0 })
    const hints = this.#hints = new StorageHintStore({ id, storage, config, log, metrics, now: () => clock.now() })
    // The detector probes the members that membership knows; membership asks through the
    // rpc that reports to the detector: the closure breaks the circle.
    // A client (weight 0) watches every connection it has (a few members); a member only
    // those to the peers it replicates with or holds hints for (failure-detector.ts).
    const watchesDisconnect = (peer: PeerId): boolean =>
      config.weight === 0 || hints.pendingFor(peer) > 0 || replicaNeighbours(membership.ring(), id, config.n).has(peer)
    const detector: LocalFailureDetector = this.#detector = new LocalFailureDetector({ id, config, clock, network, log, membership: { member: (id: PeerId): MemberRecord | undefined => membership.member(id) }, watchesDisconnect })
    const rpc = new PeerRpc({ network, detector, timeoutMs: config.requestTimeoutMs })
    // Live updates: who watches what here, this peer's own watches, and the store that
    // reports each durable change to both (cluster/watch-notifier.ts).
    this.#watchRegistry = new WatchRegistry({ maxKeysPerWatcher: config.maxWatchKeysPerWatcher, maxWatchers: config.maxWatchers, leaseMs: config.watchLeaseMs })
    const watches = this.#watches = new Watches({
      id, config, clock, rpc, log,
      membership: { ring: () => membership.ring() },
      detector,
      replicas: () => this.#replicas,
      keepsPushedVersions: config.weight === 0,
      fetch: (peer, key) => access.get(peer, key)
    })
    this.#notifier = new WatchNotifier({ registry: this.#watchRegistry, local: watches, rpc, clock, log })
    const replicas = this.#replicas = new NotifyingReplicaStore(stored, this.#notifier)
    const membership: Membership = this.#membership = new Membership({
      id, config, clock, storage, signer, network, rpc, log,
      ...(options.addrs === undefined ? {} : { addrs: options.addrs }),
      ...(options.admission === undefined ? {} : { admission: options.admission }),
      resumeLeave: options.resumeLeave === true,
      ...(options.ringSource === undefined ? {} : { ringSource: options.ringSource })
    })
    // A member reaches replicas through the replication protocols, a light peer (a client)
    // through the client surface members serve it (protocol/replica-access.ts).
    const access = config.weight > 0 ? memberAccess(rpc) : clientAccess(rpc)
    // Background work gives way to foreground requests when they slow down (§6.5).
    const throttle = this.#throttle = new BackgroundThrottle(clock, { targetMs: config.backgroundYieldAtMs, windowMs: THROTTLE_WINDOW_MS, maxPauseMs: THROTTLE_MAX_PAUSE_MS })
    const cluster = { id, config, clock, log, metrics, replicas, hints, membership, detector, rpc, access, throttle }
    this.#handoff = new HintedHandoff(cluster)
    this.#antiEntropy = new AntiEntropy(cluster)
    this.#transfer = new OwnershipTransfer(cluster)
    this.#tombstones = new TombstoneCollector(cluster)
    this.#hintExpiry = new HintExpiry(cluster)
    this.#puts = new PutCoordinator({ ...cluster, isRunning })
    this.#gets = new GetCoordinator(cluster)
  }

  get running (): boolean {
    return this.#state === 'running'
  }

  /** Open the stores, join the network and the cluster, start the background tasks. */
  async start (): Promise<void> {
    if (this.#state !== 'new') throw new PeerStoppedError()
    this.#state = 'starting'
    try {
      await this.#replicas.open()
      await this.#hints.open()
      // Serving before the network starts: connection events may fire during start().
      this.#serving = true
      await this.#network.start(this.#networkHandlers())
      await this.#membership.start()
      this.#detector.start()
      this.#handoff.start()
      this.#antiEntropy.start()
      this.#transfer.start()
      this.#tombstones.start()
      this.#hintExpiry.start()
      this.#watches.start()
    } catch (error) {
      this.#log.error('peer failed to start', { error: describeError(error) })
      await this.stop()
      throw error
    }
    // stop() may have been called while starting.
    if (this.#state === 'starting') this.#state = 'running'
  }

  /**
   * Stop timers, leave the network, record a clean shutdown. Storage stays open: the host
   * owns and closes it, after this resolves.
   */
  async stop (): Promise<void> {
    if (this.#state === 'stopped') return
    this.#state = 'stopped'
    this.#serving = false
    this.#tombstones.stop()
    this.#hintExpiry.stop()
    this.#watches.stop()
    this.#transfer.stop()
    this.#antiEntropy.stop()
    this.#handoff.stop()
    this.#detector.stop()
    this.#membership.stop()
    await this.#network.stop()
    // Last: the clean-shutdown marker must follow every staged write of this run.
    await this.#replicas.close()
  }

  /**
   * Leave the cluster for good: announce a 'left' record (the others recompute the ring
   * without this peer) and hand this peer's data to the new owners. Call stop() after.
   */
  async leave (): Promise<TransferResult> {
    this.#checkRunning()
    await this.#membership.leave()
    try {
      return await this.#transfer.runOnce()
    } catch (error) {
      this.#log.warn('hand-off after leave incomplete; it is retried while running', { error: describeError(error) })
      return { keysMoved: 0, keysDropped: 0 }
    }
  }

  /** The admission certificate `peer`'s record carries here (its own included), if any. */
  admissionOf (peer: PeerId): SignedAdmission | undefined {
    return this.#membership.admissionOf(peer)
  }

  /**
   * Remove a dead member for good, on its operator's word: `removal` must be signed by the
   * cluster's authority (`ringstore remove`; docs/trust.md). The member then stands as left
   * in the ring here (its partitions move to the others, anti-entropy restores their
   * copies, its hints go to the new owners), and the removal is gossiped to every member.
   * Resolves false when this peer knew of it already. Throws InvalidRemovalError when the
   * authority did not sign it.
   */
  async remove (removal: SignedRemoval): Promise<boolean> {
    this.#checkRunning()
    const fresh = await this.#membership.acceptRemoval(removal)
    // Announced again even when known here: the caller asks because others may not know.
    this.#network.announceRemoval(removal)
    return fresh
  }

  /** The operator's removals this peer holds. */
  removals (): SignedRemoval[] {
    return this.#membership.removals()
  }

  /** Read a key: all siblings and the causal context to write back with. */
  async get (key: Key, options: GetOptions = {}): Promise<GetResult> {
    this.#checkRunning()
    this.#checkOwnRights(key, 'read')
    if (options.local === true) return { ...readAnswer(await this.#replicas.get(validateKey(key))), replies: 0 }
    const { n, r } = resolveQuorum(this.config, options)
    return this.#measure('get', () => this.#gets.get({ key, n, r }))
  }

  /**
   * Write a value. With `context` (from a get) the write supersedes exactly the versions
   * that read saw; without, it is a blind write, concurrent with every existing version.
   */
  async put (key: Key, value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    this.#checkRunning()
    validateValue(value)
    return this.#write(key, value, options)
  }

  /**
   * Delete: a put of a tombstone. It removes only the versions its `context` covers; with
   * no context it removes nothing and only adds a tombstone sibling (reads then still see
   * the old values). Read first and pass the context.
   */
  async delete (key: Key, options: PutOptions = {}): Promise<PutResult> {
    this.#checkRunning()
    return this.#write(key, null, options)
  }

  /**
   * Live updates: calls `listener` with the key's values and context whenever a new version
   * of `key` reaches this peer, from any writer (members push it: coordinator/watches.ts),
   * this peer's own writes included. Returns the unsubscribe. A client may watch only keys
   * it may read (KeyRightsError); at most `maxWatchedKeys` keys (WatchLimitError).
   */
  watch (key: Key, listener: WatchListener): () => void {
    this.#checkRunning()
    this.#checkOwnRights(key, 'read')
    return this.#watches.watch(validateKey(key), listener)
  }

  status (): PeerStatus {
    const members = this.#membership.members().map((m) => ({
      ...m,
      reachable: m.id === this.id || this.#detector.isReachable(m.id)
    }))
    return {
      peerId: this.id,
      self: this.#membership.self(),
      members,
      ring: this.#ringSummary(),
      hintsPending: this.#hints.pending(),
      hintsByTarget: Object.fromEntries(this.#hints.targets().map((target) => [target, this.#hints.pendingFor(target)])),
      hintBytes: this.#hints.bytes(),
      hintBytesByTarget: Object.fromEntries(this.#hints.targets().map((target) => [target, this.#hints.bytesFor(target)])),
      hintQuota: { totalBytes: this.config.hintQuotaBytes, perTargetBytes: this.config.hintQuotaPerTargetBytes, maxAgeMs: this.config.hintMaxAgeMs },
      keys: this.#replicas.size(),
      storageFull: this.#storage.isFull?.() === true,
      background: { pressure: this.#throttle.pressure(), deferrals: this.#throttle.deferrals, deferredMs: this.#throttle.deferredMs },
      metrics: this.metrics
    }
  }

  /** ringSummary of the current ring, computed once per ring (status is polled often). */
  #ringSummary (): RingSummary {
    const ring = this.#membership.ring()
    if (this.#summary?.ring !== ring) this.#summary = { ring, summary: ringSummary(ring) }
    return this.#summary.summary
  }

  /** The ring this peer routes by now. */
  ring (): Ring {
    return this.#membership.ring()
  }

  /**
   * The ring checkpoint its ring folds from (cluster/membership-checkpoints.ts), if its
   * members agreed on one: the ring is `buildRing(members, q, checkpoint)`.
   */
  ringCheckpoint (): RingCheckpoint | undefined {
    return this.#membership.checkpoint()
  }

  /**
   * The digest of this peer's member table (core membership-digest.ts): two peers with the
   * same digest hold the same records. O(1): hosts compare views without listing them.
   */
  membershipDigest (): Uint8Array {
    return this.#membership.digest()
  }

  /**
   * How many peers this peer keeps something about: member records, peers its failure
   * detector holds unreachable, watchers of its keys. A member serving clients (browser
   * tabs that come and go) must keep these bounded by the members, not the visitors
   * (the simulator's --client-sessions run checks it).
   */
  peerBookSizes (): { readonly members: number, readonly unreachable: number, readonly watchers: number } {
    return { members: this.#membership.members().length, unreachable: this.#detector.unreachable().length, watchers: this.#watchRegistry.size.watchers }
  }

  /** Active members this peer's failure detector holds unreachable now (O(unreachable), not O(members)). */
  unreachableMembers (): PeerId[] {
    return this.#detector.unreachable().filter((id) => this.#membership.member(id)?.status === 'active')
  }

  /** Every member record this peer knows (active, leaving and left). */
  members (): MemberRecord[] {
    return this.#membership.members()
  }

  runAntiEntropyRound (): Promise<{ partitions: number, keysRepaired: number }> {
    this.#checkRunning()
    return this.#antiEntropy.runRound()
  }

  deliverHints (): Promise<number> {
    this.#checkRunning()
    return this.#handoff.deliverNow()
  }

  runTransfer (): Promise<{ keysMoved: number, keysDropped: number }> {
    this.#checkRunning()
    return this.#transfer.runOnce()
  }

  collectTombstones (): Promise<number> {
    this.#checkRunning()
    return this.#tombstones.runOnce()
  }

  /** One hint expiry pass now (cluster/hint-expiry.ts); resolves with the number expired. */
  expireHints (): Promise<number> {
    this.#checkRunning()
    return this.#hintExpiry.runOnce()
  }

  /**
   * Merges a version of `key` that a trusted local source holds (another tab of this same
   * browser, over its BroadcastChannel: @ringstore/browser's tab-channel.ts) into the local
   * replica, as a read's result is merged; watchers hear it. Not for anything a remote peer
   * sent: that goes through the protocols and their checks.
   */
  async mergeLocal (key: Key, clock: DvvSet): Promise<void> {
    this.#checkRunning()
    validateClock(clock)
    await this.#replicas.merge(validateKey(key), clock)
  }

  /** Works on a stopped peer too, as long as the host has not closed the storage. */
  localGet (key: Key): Promise<DvvSet | null> {
    return this.#replicas.get(key)
  }

  localEntries (): AsyncIterable<readonly [Key, DvvSet]> {
    return this.#stored.entries()
  }

  /** The actor this peer mints dots with now (`${id}:${epoch}`). */
  actor (): string {
    return this.#replicas.actor()
  }

  /**
   * A client (a light peer) checks its own rights before it reads or writes (core's
   * key-rights.ts): the members would refuse the key anyway, and a write they refuse must
   * not sit in the local replica and the hints as if it were only waiting for them.
   */
  #checkOwnRights (key: Key, access: KeyAccess): void {
    if (this.config.weight > 0) return
    const problem = clientKeyProblem(validateKey(key), this.id, access)
    if (problem !== undefined) throw new KeyRightsError(key, `this peer is a client: ${access === 'read' ? 'reading' : 'writing'} ${JSON.stringify(key.slice(0, 80))} is refused: ${problem}`)
  }

  async #write (key: Key, value: Uint8Array | null, options: PutOptions): Promise<PutResult> {
    this.#checkOwnRights(key, 'write')
    // A coordinator that cannot keep its own copy refuses up front: a version minted here
    // and not written would cost an epoch bump, and the caller would see a quorum failure
    // for what is a full disk (Storage.isFull).
    if (this.#storage.isFull?.() === true) throw new StorageFullError(`the store of peer ${this.id} is full: writes are refused until space is freed (reads go on)`)
    const { n, w } = resolveQuorum(this.config, options)
    const command = { key, value, context: options.context ?? [], n, w, ts: this.#clock.now() }
    return this.#measure(operationOf(command), () => this.#puts.put(command).catch((error: unknown) => {
      // The store filled up under this very write: its local copy failed for lack of space,
      // which is what the caller needs to hear, not a quorum failure.
      if (error instanceof QuorumNotMetError && this.#storage.isFull?.() === true) {
        throw new StorageFullError(`the store of peer ${this.id} is full: ${error.message}`, { cause: error })
      }
      throw error
    }))
  }

  async #measure<T> (op: Operation, run: () => Promise<T>): Promise<T> {
    const { metrics } = this
    const clock = this.#clock
    const started = clock.now()
    metrics.requests[op]++
    try {
      return await run()
    } catch (error) {
      if (error instanceof QuorumNotMetError) metrics.quorumFailures[op]++
      throw error
    } finally {
      const ms = clock.now() - started
      observeLatency(metrics, op, ms)
      this.#throttle.observe(ms)
    }
  }

  #checkRunning (): void {
    if (this.#state !== 'running') throw new PeerStoppedError()
  }

  #networkHandlers (): NetworkHandlers {
    const handle = createRouter({
      services: {
        id: this.id,
        q: this.config.q,
        replicas: this.#replicas,
        hints: this.#hints,
        membership: this.#membership,
        coordinator: this.#puts,
        watchers: this.#watchRegistry,
        watchSink: this.#watches,
        clock: this.#clock
      },
      roleOf: (peer) => this.#membership.roleOf(peer),
      isServing: () => this.#serving,
      log: this.#log,
      metrics: this.metrics
    })
    const clock = this.#clock
    const throttle = this.#throttle
    return {
      // A foreground request's service time here feeds the background throttle.
      onRequest: async (from, request) => {
        if (!FOREGROUND_REQUESTS.has(request.type)) return await handle(from, request)
        const started = clock.now()
        try {
          return await handle(from, request)
        } finally {
          throttle.observe(clock.now() - started)
        }
      },
      onAnnounce: (from, signed) => {
        if (this.#serving) void this.#membership.handleAnnounce(from, signed)
      },
      onRemoval: (from, removal) => {
        if (this.#serving) void this.#membership.handleRemoval(from, removal)
      },
      onPeerConnected: (peer) => {
        if (!this.#serving) return
        this.#detector.onPeerConnected(peer)
        this.#membership.onPeerConnected(peer)
      },
      onPeerDisconnected: (peer) => {
        if (this.#serving) this.#detector.onPeerDisconnected(peer)
      }
    }
  }
}
