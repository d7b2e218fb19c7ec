/**
 * Membership (Dynamo §4.8): every peer authors, signs and announces the one record about
 * itself; everybody keeps the newest record per member and derives the same ring from the
 * same records. New peers pull the full table from the seeds they dial, and from every peer
 * that connects. A record is accepted only when its signature verifies for `record.id`, so
 * relayed tables (a seed's pull answer) are safe: nobody can speak for another peer.
 *
 * Durability: the own record is persisted before it is announced whenever its incarnation
 * or status changes (heartbeats are not persisted: the restart bumps the incarnation, which
 * orders before any heartbeat). Known members are persisted too, so a restarted peer routes
 * by the right ring before anyone answers.
 *
 * Ring checkpoints (membership-checkpoints.ts): once the members agree on one, the ring
 * folds from it and the records of members that left before its cut leave the table.
 */
import {
  RingBuilder, TABLE_DIGEST_BUCKETS, admissionProblem, compactable, compareRecords, differingBuckets, digestBucket, emptyTableDigest, encodeAdmission,
  equalBytes, encodeRecord, internSignedRecord, judgeRecord, noteSignatureChecked, signatureChecked, leaveRecord, newMemberRecord, recordDigest, recordDigestKey, restartRecord, validateDecodedRecord, validateRecord, xorDigest
} from '@ringstore/core'
import type { CheckpointRef, MemberRecord, PeerId, Ring, RingCheckpoint, SignedAdmission, SignedRecord, SignedRemoval, Stint } from '@ringstore/core'
import type { RingSource } from '../api.js'
import type { MembershipView } from '../components.js'
import type { PeerConfig } from '../config.js'
import { RemoteError, describeError } from '../errors.js'
import type { Clock, Logger, Network, Signer, Storage, StorageOp, TimerHandle } from '../interfaces.js'
import { askMembers } from '../protocol/members-pull.js'
import type { MemberTableAnswer } from '../protocol/members-pull.js'
import { askMembersView } from '../protocol/members-view.js'
import type { CallerRole } from '../protocol/protocol.js'
import type { PeerRpc } from '../protocol/rpc.js'
import { SerialRunner } from './timers.js'
import { droppedOp, forgetOp, loadDropped, loadMembers, loadOwnRecord, memberOp, ownRecordOp } from './member-persist.js'
import { RemovalBook, removedRecord } from './member-removals.js'
import { DROPPED_MEMBER_ROLE_MS, REMOVAL_REGOSSIP_HEARTBEATS, REMOVAL_REGOSSIP_MS } from '../constants.js'
import { SeedDialer } from './membership-seeds.js'
import { GossipExchange } from './membership-exchange.js'
import { RingCheckpoints } from './membership-checkpoints.js'
import type { CheckpointConfig } from './membership-checkpoints.js'

/** Thrown by `self()` before `start()` resolved: there is no own record yet. */
export class MembershipNotStartedError extends Error {
  static override name = 'MembershipNotStartedError'
  override name = 'MembershipNotStartedError'
  constructor () { super('membership has not started: no own record yet') }
}

type RingListener = (previous: Ring, next: Ring) => void

export interface MembershipDeps {
  readonly id: PeerId
  readonly config: Pick<PeerConfig, 'q' | 'weight' | 'zone' | 'seeds' | 'heartbeatIntervalMs' | 'announceRepeats' | 'clusterId'> & Partial<Pick<PeerConfig, 'ringRebuildDelayMs'>> & CheckpointConfig
  readonly clock: Clock
  readonly storage: Storage
  readonly signer: Signer
  readonly network: Pick<Network, 'announce' | 'announceRemoval' | 'dial'>
  readonly rpc: PeerRpc
  readonly log: Logger
  /** Where this peer can be dialled (goes into its member record). */
  readonly addrs?: readonly string[]
  /** This peer's admission to `config.clusterId`, carried with its record (docs/trust.md). */
  readonly admission?: SignedAdmission
  /** Stay left if the stored own record says so, rather than rejoin (PeerOptions.resumeLeave). */
  readonly resumeLeave?: boolean
  /** Computes the ring (PeerOptions.ringSource); a RingBuilder of its own by default. */
  readonly ringSource?: RingSource
}

export class Membership implements MembershipView {
  readonly #ctx: MembershipDeps
  readonly #builder: RingSource
  /** The builder that folds from a checkpoint: #builder when it is our own, else one made when a checkpoint is adopted. */
  #checkpointBuilder: RingBuilder | undefined
  /** Ring checkpoints (membership-checkpoints.ts): the one the ring folds from, and the steps that agree on the next. */
  readonly #checkpoints: RingCheckpoints
  /** Members (weight > 0) whose record a checkpoint dropped, and when (local clock; persisted): still members to roleOf for DROPPED_MEMBER_ROLE_MS. */
  readonly #droppedMembers = new Map<PeerId, number>()
  /**
   * Mutated in place (#store), never copied: a copy per accepted record cost the cluster
   * size per record, and every restart's record reaches every member.
   */
  readonly #table = new Map<PeerId, MemberRecord>()
  /** The table digest (core membership-digest.ts), each record's part of it, and the ids in each digest bucket. */
  readonly #digest = emptyTableDigest()
  readonly #recordHashes = new Map<PeerId, Uint8Array>()
  /** Each record digest of #recordHashes (recordDigestKey) and whose it is: what `members-fetch` asks by. */
  readonly #hashOwners = new Map<string, PeerId>()
  /** The pull half of a gossip exchange (membership-exchange.ts). */
  readonly #exchange: GossipExchange
  readonly #bucketIds: Array<Set<PeerId>> = Array.from({ length: TABLE_DIGEST_BUCKETS }, () => new Set())
  /** Ids of the other members (weight > 0): whom a gossip round picks from. */
  readonly #gossipIds: PeerId[] = []
  readonly #gossipIndex = new Map<PeerId, number>()
  /** The ring lags the table (config.ringRebuildDelayMs): rebuilt on the next read or when #ringTimer fires. */
  #ringStale = false
  #ringTimer: TimerHandle | undefined
  /** When each gossip partner's differing digest last made us pull it (onDigestReceived). */
  readonly #pushedAt = new Map<PeerId, number>()
  /**
   * When our table and each peer's were last compared (a digest it sent us, or a pull of
   * ours that it answered): a connection that comes up just after needs no pull of its own.
   */
  readonly #comparedAt = new Map<PeerId, number>()
  /** Gossip rounds left in which the own record is announced again (it may have missed peers). */
  #announceRounds = 0
  /** The signature of every record in the table (what pull answers relay). */
  readonly #signed = new Map<PeerId, SignedRecord>()
  #self: SignedRecord | undefined
  #ring: Ring
  readonly #listeners = new Set<RingListener>()
  /** Own-record changes (heartbeat, leave, re-incarnation) one at a time: none overwrites a newer one. */
  readonly #selfUpdates = new SerialRunner()
  /** Pulls in flight: a second pull of the same peer waits for the running one (a seed's pull and the connect's). */
  readonly #pulling = new Map<PeerId, Promise<boolean>>()
  /**
   * The encoded admission that last admitted each member: every
   * heartbeat carries the same certificate, so its signature is checked once, not on every
   * gossip message (the record's own signature is still checked each time).
   */
  readonly #verifiedAdmissions = new Map<PeerId, Uint8Array>()
  readonly #seeds: SeedDialer
  /** The operator's removals (member-removals.ts): those members' records are refused for good. */
  readonly #removals = new RemovalBook()
  /** Members whose record must be persisted (new member, incarnation or status change). */
  readonly #dirty = new Set<PeerId>()
  #flushing: Promise<void> | undefined
  #heartbeatTimer: TimerHandle | undefined
  /** Heartbeats sent by this run (paces #regossipRemovals). */
  #heartbeats = 0
  #running = false

  constructor (deps: MembershipDeps) {
    this.#ctx = deps
    const own = deps.ringSource === undefined ? new RingBuilder(deps.config.q) : undefined
    this.#builder = deps.ringSource ?? own as RingBuilder
    this.#checkpointBuilder = own
    this.#ring = this.#builder.update([])
    this.#checkpoints = new RingCheckpoints(deps, {
      records: () => [...this.#table.values()],
      self: () => this.#self?.record,
      advertise: async (ref) => { await this.#advertise(ref) },
      adopted: async (checkpoint) => { await this.#compact(checkpoint) }
    })
    this.#seeds = new SeedDialer(deps, async (peer) => await this.pull(peer))
    this.#exchange = new GossipExchange(deps.rpc)
  }

  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    const ctx = this.#ctx
    // Removals first: a removed member's stored record must not count for a moment.
    for (const signed of await this.#removals.load(ctx.storage, (key, error) => {
      ctx.log.warn('skipping unreadable removal', { key, error: describeError(error) })
    })) this.#removals.add(signed)
    // The adopted ring checkpoint before the records: the table holds only what it left.
    await this.#checkpoints.load()
    for (const [id, at] of await loadDropped(ctx.storage)) this.#droppedMembers.set(id, at)
    const stored = await loadMembers(ctx.storage, (key, error) => {
      ctx.log.warn('skipping unreadable member record', { key, error: describeError(error) })
    })
    // Our own old record included: the ring is then already right before we re-announce.
    // Stored records were admitted when they arrived, but maybe to no cluster (a restart
    // that now requires admission): they are checked again.
    this.#applyVerified(await this.#onlyAdmitted(stored), false)
    // Stored records the checkpoint let us drop (a stop between persisting it and deleting
    // them): #applyVerified refused them; their keys go now.
    const dropped = stored.filter((s) => !this.#table.has(s.record.id) && this.#checkpoints.isCompacted(s.record))
    if (dropped.length > 0) await ctx.storage.write(dropped.map((s) => forgetOp(s.record.id)))
    this.#applyRemovals(this.#removals.all())
    const previous = await loadOwnRecord(ctx.storage, (error) => {
      ctx.log.error('own member record unreadable: starting a new incarnation line', { error: describeError(error) })
    })
    const update = { addrs: ctx.addrs ?? [], weight: ctx.config.weight, zone: ctx.config.zone }
    // An older own record in the table (a wiped `member-record`) must be beaten too.
    const older = [previous, stored.find((s) => s.record.id === ctx.id)?.record]
      .filter((r): r is MemberRecord => r !== undefined)
      .sort(compareRecords).pop()
    // A new member, and one that had left and rejoins, pulls the seeds' tables before it
    // announces itself and joins after every join and leave it learnt of: a clock running
    // behind, an old admission or a remembered first join cannot put its join before them,
    // which would make every peer refold the ring from there and reshuffle it (issue 13).
    const resumesLeave = ctx.resumeLeave === true && older?.status === 'left'
    const joinsFresh = older === undefined || (older.status === 'left' && !resumesLeave)
    if (joinsFresh) await this.#seeds.start(ctx.config.seeds)
    // The seeds' records may stand on a checkpoint (their members dropped the records of
    // those that left before it): fetch it before the first ring and the first record.
    if (joinsFresh) await this.#checkpoints.follow()
    const restarted = older === undefined
      ? newMemberRecord({ id: ctx.id, ...update, joinedAt: this.#joinTime() })
      : resumesLeave
        // Still the member that left, at the same leave time: the ring stays as the others have it.
        ? validateRecord({ ...older, addrs: [...update.addrs], incarnation: older.incarnation + 1, heartbeat: 0 })
        : older.status === 'left'
          ? this.#admissible(restartRecord(older, { ...update, rejoinedAt: this.#joinTime() }))
          : this.#admissible(restartRecord(older, update))
    const record = this.#advertising(restarted)
    await this.#selfUpdates.run(async () => { await this.#publishSelf(record, true) })
    this.#scheduleHeartbeat()
    this.#checkpoints.start()
    if (!joinsFresh) await this.#seeds.start(ctx.config.seeds)
  }

  stop (): void {
    this.#running = false
    if (this.#heartbeatTimer !== undefined) this.#ctx.clock.clearTimer(this.#heartbeatTimer)
    this.#heartbeatTimer = undefined
    if (this.#ringTimer !== undefined) this.#ctx.clock.clearTimer(this.#ringTimer)
    this.#ringTimer = undefined
    if (this.#ringStale) this.#rebuildRing()
    this.#seeds.stop()
    this.#checkpoints.stop()
  }

  /** Leave the cluster for good: a durable 'left' record, announced and served to pulls. */
  async leave (): Promise<void> {
    await this.#selfUpdates.run(async () => {
      await this.#publishSelf(leaveRecord(this.self(), this.#ctx.clock.now()), true)
    })
  }

  self (): MemberRecord {
    if (this.#self === undefined) throw new MembershipNotStartedError()
    return this.#self.record
  }

  /** Every known record (active, leaving and left), sorted by id. */
  members (): MemberRecord[] {
    return [...this.#table.values()].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  }

  ring (): Ring {
    if (this.#ringStale) this.#rebuildRing()
    return this.#ring
  }

  onRingChange (listener: RingListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Every record we hold with its author's signature (what 'members-pull' answers). */
  signedRecords (): SignedRecord[] {
    return [...this.#signed.values()]
  }

  /** The admission certificate `peer`'s record carries in this table, if any. */
  admissionOf (peer: PeerId): SignedAdmission | undefined {
    return this.#signed.get(peer)?.admission
  }

  /** The operator's removals this peer holds (pull answers carry them with the records). */
  removals (): SignedRemoval[] {
    return this.#removals.all()
  }

  /**
   * An operator's removal of a member (from an admin request, a pull answer or gossip):
   * checked against the cluster's authority, kept durably, then applied — the member stands
   * as left in the ring (its partitions move to the others, its hints to the new owners)
   * and its records and requests are refused from now on. True when it was new here.
   * Throws InvalidRemovalError when the authority did not sign it.
   */
  async acceptRemoval (signed: SignedRemoval): Promise<boolean> {
    if (this.#removals.has(signed.removal.peer)) return false
    await this.#removals.check(signed, this.#ctx.config.clusterId, this.#ctx.signer)
    if (!this.#removals.add(signed)) return false
    await this.#ctx.storage.write([RemovalBook.op(signed)])
    this.#ctx.log.warn('member removed by the operator', { peer: signed.removal.peer, removedAt: signed.removal.removedAt })
    this.#applyRemovals([signed])
    return true
  }

  /** A removal arrived by gossip: applied if the authority signed it, else dropped (logged). */
  async handleRemoval (from: PeerId, signed: SignedRemoval): Promise<void> {
    try {
      await this.acceptRemoval(signed)
    } catch (error) {
      this.#ctx.log.warn('refusing a removal', { from, peer: signed.removal.peer, error: describeError(error) })
    }
  }

  /** Each removed member's record becomes a leave (member-removals.ts removedRecord); one ring update. */
  #applyRemovals (removals: readonly SignedRemoval[]): void {
    let changed = false
    for (const signed of removals) {
      const { peer } = signed.removal
      if (peer === this.#ctx.id) {
        this.#ctx.log.error('the operator removed this peer from the cluster: it is no member any more (wipe its data dir and admit it anew to rejoin)')
      }
      const held = this.#table.get(peer)
      if (held === undefined) continue
      const next = removedRecord(held, signed)
      if (next === held) continue
      this.#store(next)
      changed ||= affectsRing(held, next)
    }
    if (changed) this.#updateRing()
  }

  /**
   * What `peer` is to this peer (protocol/protocol.ts): a member when this table holds a
   * record of it with weight > 0 (in a cluster with an id, only admitted records get here).
   * A member that left stays one: it still hands its data to the new owners after its
   * 'left' record went out (Peer.leave), and after a ring checkpoint dropped its record,
   * for DROPPED_MEMBER_ROLE_MS (constants.ts). Anyone else is a client: what a client may do is
   * the client surface (protocol/client-*.ts), nothing of the replication protocols.
   */
  roleOf (peer: PeerId): CallerRole {
    // Removed by the operator: nothing at all, not even the client surface.
    if (this.#removals.has(peer)) return 'outsider'
    const record = this.#table.get(peer)
    if (record === undefined) return this.#wasDroppedMember(peer) ? 'member' : 'client'
    return record.weight > 0 ? 'member' : 'client'
  }

  /**
   * A record arrived by gossip. Resolves once it was verified and applied or refused (the
   * network may ignore the promise: it never rejects).
   */
  async handleAnnounce (_from: PeerId, signed: SignedRecord): Promise<void> {
    await this.acceptSigned([signed])
  }

  /**
   * A connection came up: its table may hold members we have not heard of. Not when the
   * two tables were compared within a gossip period: most connections are opened by a
   * gossip exchange itself (a lazily connected cluster opens one per new partner), and
   * pulling again on both sides tripled a thousand-peer cluster's gossip traffic.
   */
  onPeerConnected (peer: PeerId): void {
    if (this.#comparedRecently(peer)) return
    void this.pull(peer)
  }

  #comparedRecently (peer: PeerId): boolean {
    const at = this.#comparedAt.get(peer)
    return at !== undefined && this.#ctx.clock.now() - at < this.#ctx.config.heartbeatIntervalMs
  }

  #noteCompared (peer: PeerId): void {
    if (this.#comparedAt.size >= PUSHED_AT_MAX) this.#comparedAt.clear()
    this.#comparedAt.set(peer, this.#ctx.clock.now())
  }

  /** Fetch `peer`'s table and apply what verifies. False when the peer did not answer. */
  async pull (peer: PeerId): Promise<boolean> {
    if (peer === this.#ctx.id) return true
    const running = this.#pulling.get(peer)
    if (running !== undefined) return await running
    const pulling = this.#pullOnce(peer).finally(() => { this.#pulling.delete(peer) })
    this.#pulling.set(peer, pulling)
    return await pulling
  }

  async #pullOnce (peer: PeerId): Promise<boolean> {
    try {
      await this.#acceptTable(await this.#fetchTable(peer))
      this.#noteCompared(peer)
      return true
    } catch (error) {
      this.#ctx.log.debug('member pull failed', { peer, error: describeError(error) })
      return false
    }
  }

  /**
   * `peer`'s records. A light peer (a client) asks for the members' view; a member asks
   * for those that differ from ours (membership-exchange.ts), and for the view when `peer` does not know it as a member yet (a
   * newcomer's first pulls, before its own record has reached that peer).
   */
  async #fetchTable (peer: PeerId): Promise<MemberTableAnswer> {
    if (this.#ctx.config.weight === 0) return await askMembersView(this.#ctx.rpc, peer)
    try {
      return await this.#exchange.fetch(peer, this.#digest.slice(), (hash) => this.#hashOwners.has(recordDigestKey(hash)))
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error
      // A peer older than members-digest: the whole table.
      if (error.code === 'bad-request') return await this.#fetchWhole(peer)
      if (error.code !== 'forbidden') throw error
      // `peer` does not hold our record yet (we are new, or our announcement missed it), so
      // it will not gossip with us: announce it again in the next round.
      this.#announceRounds = Math.max(this.#announceRounds, 1)
      return await askMembersView(this.#ctx.rpc, peer)
    }
  }

  async #fetchWhole (peer: PeerId): Promise<MemberTableAnswer> {
    try {
      return await askMembers(this.#ctx.rpc, peer)
    } catch (error) {
      if (!(error instanceof RemoteError && error.code === 'forbidden')) throw error
      return await askMembersView(this.#ctx.rpc, peer)
    }
  }

  /**
   * The table's digest (core membership-digest.ts): equal on two peers iff they hold the
   * same records. The live array, not a copy (hosts compare it after every event): read it,
   * never keep or change it.
   */
  digest (): Readonly<Uint8Array> {
    return this.#digest
  }

  /**
   * What a gossip partner with table digest `digest` lacks or holds differently: the signed
   * records of the digest buckets in which it differs from ours; undefined when none does.
   */
  recordsDifferingFrom (digest: Uint8Array): SignedRecord[] | undefined {
    return this.#inDifferingBuckets(digest, (id) => this.#signed.get(id))
  }

  /**
   * The record digests (core recordDigest) of our records in the digest buckets in which
   * `digest` differs from ours (what `members-hashes` answers); undefined when none does.
   */
  recordHashesDifferingFrom (digest: Uint8Array): Uint8Array[] | undefined {
    return this.#inDifferingBuckets(digest, (id) => this.#recordHashes.get(id))
  }

  /** `pick` of each member in the digest buckets in which `digest` differs from ours (skipping undefined); undefined when none does. */
  #inDifferingBuckets<T> (digest: Uint8Array, pick: (id: PeerId) => T | undefined): T[] | undefined {
    const buckets = differingBuckets(this.#digest, digest)
    if (buckets.length === 0) return undefined
    const out: T[] = []
    for (const bucket of buckets) {
      for (const id of this.#bucketIds[bucket] ?? []) {
        const item = pick(id)
        if (item !== undefined) out.push(item)
      }
    }
    return out
  }

  /** Our signed records whose record digests are among `hashes`, each once (what `members-fetch` answers). */
  recordsWithHashes (hashes: readonly Uint8Array[]): SignedRecord[] {
    const ids = new Set<PeerId>()
    for (const hash of hashes) {
      const id = this.#hashOwners.get(recordDigestKey(hash))
      if (id !== undefined) ids.add(id)
    }
    const out: SignedRecord[] = []
    for (const id of ids) {
      const signed = this.#signed.get(id)
      if (signed !== undefined) out.push(signed)
    }
    return out
  }

  /** A gossip partner sent its digest (members-digest): when it differs from ours, pull its table in turn (the round's push half). */
  onDigestReceived (peer: PeerId, differs: boolean): void {
    if (!this.#running) return
    this.#noteCompared(peer)
    if (!differs) return
    // At most one push pull per partner and gossip period: two peers whose tables never
    // agree (a record one of them refuses) would otherwise answer each other's pulls with
    // pulls, back to back.
    const now = this.#ctx.clock.now()
    const last = this.#pushedAt.get(peer)
    if (last !== undefined && now - last < this.#ctx.config.heartbeatIntervalMs) return
    if (this.#pushedAt.size >= PUSHED_AT_MAX) this.#pushedAt.clear()
    this.#pushedAt.set(peer, now)
    void this.pull(peer)
  }

  /** The record held of `id`, if any. */
  member (id: PeerId): MemberRecord | undefined {
    return this.#table.get(id)
  }

  /** Put `record` in the table, keeping the digest and the gossip candidates current. */
  #store (record: MemberRecord): void {
    const id = record.id
    const removal = this.#removals.get(id)
    // A removed member's record is whatever record each peer held when the removal came
    // (removedRecord: its incarnation + 1), so peers may hold different ones for good: its
    // share of the digest is the removal's alone, or two such peers would never agree.
    const hash = removal === undefined ? recordDigest(record) : recordDigest(removedStandIn(id, removal.removal.removedAt))
    const bucket = digestBucket(id)
    const old = this.#recordHashes.get(id)
    if (old !== undefined) {
      xorDigest(this.#digest, bucket, old)
      this.#hashOwners.delete(recordDigestKey(old))
    }
    xorDigest(this.#digest, bucket, hash)
    this.#recordHashes.set(id, hash)
    this.#hashOwners.set(recordDigestKey(hash), id)
    // A restart may be an upgrade: ask it members-hashes again.
    const held = this.#table.get(id)
    if (held !== undefined && held.incarnation !== record.incarnation) this.#exchange.forget(id)
    this.#bucketIds[bucket]?.add(id)
    this.#table.set(id, record)
    const candidate = id !== this.#ctx.id && record.weight > 0 && record.status !== 'left'
    const at = this.#gossipIndex.get(id)
    if (candidate && at === undefined) {
      this.#gossipIndex.set(id, this.#gossipIds.length)
      this.#gossipIds.push(id)
    } else if (!candidate && at !== undefined) {
      // Swap-remove: O(1), the order is only a pool to draw from.
      const last = this.#gossipIds.pop() as PeerId
      if (last !== id) {
        this.#gossipIds[at] = last
        this.#gossipIndex.set(last, at)
      }
      this.#gossipIndex.delete(id)
    }
  }

  /**
   * One gossip round: a digest exchange with one member drawn at random (members-hashes,
   * or members-digest with an older peer), which moves records only when the tables differ,
   * and then only the records that differ. Rounds, not broadcasts, keep the view in
   * step: a peer's steady cost is one small exchange per period whatever the cluster size,
   * and a change reaches every member in O(log S) rounds (push-pull epidemic). The own
   * record is announced again for a few rounds after it changed (gossip is best effort).
   */
  async #gossipRound (): Promise<void> {
    if (this.#announceRounds > 0) {
      this.#announceRounds--
      if (this.#self !== undefined) this.#announceSelf(this.#self)
    }
    this.#regossipRemovals()
    const ids = this.#gossipIds
    if (ids.length === 0) return
    const peer = ids[Math.floor(this.#ctx.clock.random() * ids.length) % ids.length] as PeerId
    await this.pull(peer)
  }

  /** A pull answer: its removals first (a removed member's record then counts for nothing), then its records. */
  async #acceptTable ({ records, removals = [] }: MemberTableAnswer): Promise<void> {
    for (const signed of removals) await this.handleRemoval('pull', signed)
    await this.acceptSigned(records)
  }

  /** Verify each record's signature for its own id, then apply the newer ones; returns how many were accepted. */
  async acceptSigned (records: readonly SignedRecord[]): Promise<number> {
    const verified = await Promise.all(records.map(async (signed) => await this.#verify(signed)))
    const fresh = verified.filter((s): s is SignedRecord => s !== undefined)
    const own = fresh.filter((s) => s.record.id === this.#ctx.id)
    for (const signed of own) this.#onOwnRecordSeen(signed.record)
    const others = fresh.filter((s) => s.record.id !== this.#ctx.id)
    // A removed member we had no record of (we joined after its removal): it enters the
    // table as left, as every other member holds it, so that all compute the same ring.
    this.#applyRemovedMembers(others.filter((s) => this.#removals.has(s.record.id)))
    return this.#applyVerified(others.filter((s) => !this.#removals.has(s.record.id)), true)
  }

  /** Verified records of removed members not in the table yet: each enters it as left (removedRecord); one ring update. */
  #applyRemovedMembers (records: readonly SignedRecord[]): void {
    let changed = false
    for (const signed of records) {
      const id = signed.record.id
      const removal = this.#removals.get(id)
      if (removal === undefined || this.#table.has(id)) continue
      if (this.#checkpoints.isCompacted(removedRecord(signed.record, removal))) continue
      const verdict = judgeRecord(this.#table, removedRecord(signed.record, removal), id)
      if (!verdict.accepted) continue
      this.#store(verdict.record)
      this.#signed.set(id, signed)
      this.#dirty.add(id)
      changed = true
    }
    if (changed) this.#updateRing()
    if (this.#dirty.size > 0) this.#flushMembers()
  }

  /** The record validated, or undefined when invalid, not newer than ours, or badly signed. */
  async #verify (signed: SignedRecord): Promise<SignedRecord | undefined> {
    let record: MemberRecord
    try {
      record = validateDecodedRecord(signed.record)
      // A removed member stands in the table as left: nothing it signs changes that.
      if (this.#removals.has(record.id) && this.#table.has(record.id)) return undefined
      // Cheap test before the costly one: most gossip is heartbeats we already hold.
      const held = this.#table.get(record.id)
      if (held !== undefined && compareRecords(record, held) <= 0) return undefined
      // This very object passed the signature check already (core member-intern.ts): only
      // what depends on this peer, the admission, is left to check.
      const known = signatureChecked(signed)
      if (known !== undefined) return await this.#admits(known) ? known : undefined
      const encoded = encodeRecord(record)
      if (await this.#ctx.signer.verify(record.id, encoded, signed.signature)) {
        const verified = signed.admission === undefined ? { record, signature: signed.signature } : { record, signature: signed.signature, admission: signed.admission }
        // One object per distinct record in the process (core member-intern.ts).
        const interned = internSignedRecord(verified, encoded)
        noteSignatureChecked(signed, interned)
        return await this.#admits(interned) ? interned : undefined
      }
    } catch (error) {
      this.#ctx.log.warn('refusing malformed member record', { error: describeError(error) })
      return undefined
    }
    this.#ctx.log.warn('refusing member record with a bad signature', { id: record.id })
    return undefined
  }

  /**
   * Whether `signed` may be a member: always in an open cluster (no clusterId configured);
   * else only with an admission the cluster's authority signed that admits this record
   * (core's admissionProblem: this peer, its weight at most, its zone, its join time).
   */
  async #admits (signed: SignedRecord): Promise<boolean> {
    const cluster = this.#ctx.config.clusterId
    if (cluster === undefined) return true
    const { record, admission } = signed
    let problem: string | undefined
    if (admission === undefined) problem = 'no admission'
    else if (!await this.#signedByAuthority(cluster, record.id, admission)) problem = 'admission not signed by the cluster authority'
    else problem = admissionProblem(admission.admission, cluster, record)
    if (problem === undefined) {
      // Remembered only for admitted members, so the cache is bounded like the member table.
      if (admission !== undefined) this.#verifiedAdmissions.set(record.id, encodeAdmission(admission.admission))
      return true
    }
    this.#ctx.log.debug('refusing a member record without a valid admission', { id: record.id, problem })
    return false
  }

  /** Whether the authority signed `admission` (cached per member: see #verifiedAdmissions). */
  async #signedByAuthority (cluster: PeerId, member: PeerId, admission: SignedAdmission): Promise<boolean> {
    const encoded = encodeAdmission(admission.admission)
    const known = this.#verifiedAdmissions.get(member)
    if (known !== undefined && equalBytes(known, encoded)) return true
    return await this.#ctx.signer.verify(cluster, encoded, admission.signature)
  }

  /** `records` without those `#admits` refuses. */
  async #onlyAdmitted (records: readonly SignedRecord[]): Promise<SignedRecord[]> {
    const admitted = await Promise.all(records.map(async (signed) => await this.#admits(signed)))
    return records.filter((_, i) => admitted[i] === true)
  }

  /**
   * When we join: just after the latest join or leave this table knows of when our clock
   * reads earlier, and never before our admission was issued (core's admissionProblem).
   */
  #joinTime (): number {
    // After the checkpoint's cut too: the events it stands for are no longer in the table.
    const cut = this.#checkpoints.adopted?.cut ?? -1
    return Math.max(this.#ctx.admission?.admission.issuedAt ?? 0, afterKnownEvents(this.#table, this.#ctx.clock.now()), cut + 1)
  }

  /**
   * `record` within what our admission allows: joined no earlier than it was issued, and
   * without earlier stints from before it (a member re-admitted later drops them; that one
   * change refolds the ring from there, as the re-admission is rare).
   */
  #admissible (record: MemberRecord): MemberRecord {
    const issuedAt = this.#ctx.admission?.admission.issuedAt
    if (issuedAt === undefined) return record
    const stints = (record.stints ?? []).filter((s) => s.joinedAt >= issuedAt)
    if (record.joinedAt >= issuedAt && stints.length === (record.stints ?? []).length) return record
    const { stints: _dropped, ...rest } = record
    return validateRecord({ ...rest, joinedAt: Math.max(record.joinedAt, issuedAt), ...(stints.length > 0 ? { stints } : {}) })
  }

  /** Applies verified records of other members; one ring update and one persist for the lot. */
  #applyVerified (records: readonly SignedRecord[], persist: boolean): number {
    let accepted = 0
    let ringChanged = false
    for (const signed of records) {
      const held = this.#table.get(signed.record.id)
      // Dropped at a checkpoint (gossip from a peer that still holds it, or a stale stored copy).
      if (held === undefined && this.#checkpoints.isCompacted(signed.record)) continue
      const verdict = judgeRecord(this.#table, signed.record, signed.record.id)
      if (!verdict.accepted) continue
      accepted++
      // The verified record itself (equal to the verdict's copy): shared with every holder of it.
      this.#store(signed.record)
      this.#signed.set(signed.record.id, signed)
      ringChanged ||= affectsRing(held, signed.record)
      if (persist && (held === undefined || held.incarnation !== signed.record.incarnation || held.status !== signed.record.status)) {
        this.#dirty.add(signed.record.id)
      }
    }
    if (ringChanged) this.#updateRing()
    if (this.#dirty.size > 0) this.#flushMembers()
    return accepted
  }

  /**
   * A record about us that is newer than ours was signed by an earlier life of this peer
   * whose state we lost (wiped storage): re-incarnate above it so ours wins everywhere.
   */
  #onOwnRecordSeen (record: MemberRecord): void {
    void this.#selfUpdates.run(async () => {
      const current = this.#self?.record
      if (current === undefined || compareRecords(record, current) <= 0) return
      this.#ctx.log.warn('saw a newer record of our own: re-incarnating above it', { incarnation: record.incarnation })
      const { addrs, weight, zone } = current
      // Still a member: keep its join time and stints, so the ring (and who owns what) stays
      // put. It had left: a rejoin after that stint, at our own join time or after its leave.
      const update = record.status === 'left' ? { addrs, weight, zone, rejoinedAt: current.joinedAt } : { addrs, weight, zone }
      await this.#publishSelf(this.#advertising(this.#admissible(restartRecord(record, update))), true)
    }).catch((error: unknown) => { this.#ctx.log.error('re-incarnation failed', { error: describeError(error) }) })
  }

  /** Sign, optionally persist (before anyone hears of it), apply and announce our own record. */
  async #publishSelf (record: MemberRecord, persist: boolean): Promise<void> {
    const signature = await this.#ctx.signer.sign(encodeRecord(record))
    const { admission } = this.#ctx
    const signed: SignedRecord = admission === undefined ? { record, signature } : { record, signature, admission }
    if (persist) await this.#ctx.storage.write([ownRecordOp(record), memberOp(signed)])
    const held = this.#table.get(record.id)
    this.#self = signed
    this.#store(record)
    this.#announceRounds = this.#ctx.config.announceRepeats
    this.#signed.set(record.id, signed)
    if (affectsRing(held, record)) this.#updateRing()
    this.#announceSelf(signed)
  }

  #announceSelf (signed: SignedRecord): void {
    // Without a certificate in a cluster that requires one (a client: a browser tab), no
    // member would take the record: gossiping it would only get this peer scored down.
    if (this.#ctx.config.clusterId === undefined || signed.admission !== undefined) this.#ctx.network.announce(signed)
  }

  /**
   * The table changed in a way that can move partitions: rebuild the ring now, or, with
   * config.ringRebuildDelayMs > 0, mark it stale and rebuild it when it is next read or
   * that long after (whichever comes first). A rebuild costs the cluster size; a burst of
   * joins (a whole cluster starting) otherwise costs one per join on every peer.
   */
  #updateRing (): void {
    this.#checkpoints.tableChanged()
    const delay = this.#ctx.config.ringRebuildDelayMs ?? 0
    if (delay <= 0) {
      this.#rebuildRing()
      return
    }
    this.#ringStale = true
    this.#ringTimer ??= this.#ctx.clock.setTimer(delay, () => {
      this.#ringTimer = undefined
      if (this.#ringStale) this.#rebuildRing()
    })
  }

  #rebuildRing (): void {
    this.#ringStale = false
    const records = [...this.#table.values()]
    const base = this.#checkpoints.adopted
    const next = base === undefined ? this.#builder.update(records) : this.#foldFrom(records, base)
    if (next === this.#ring) return
    const previous = this.#ring
    this.#ring = next
    for (const listener of [...this.#listeners]) {
      try {
        listener(previous, next)
      } catch (error) {
        this.#ctx.log.error('ring change listener threw', { error: describeError(error) })
      }
    }
  }

  /** The ring of `records` folded from `base` (a RingSource of the caller's knows no checkpoints: our own builder then). */
  #foldFrom (records: readonly MemberRecord[], base: RingCheckpoint): Ring {
    this.#checkpointBuilder ??= new RingBuilder(this.#ctx.config.q)
    return this.#checkpointBuilder.update(records, base)
  }

  /** The encoded checkpoint named `hash` this peer holds (what 'ring-checkpoint' answers). */
  checkpointBytes (hash: Uint8Array): Uint8Array | undefined {
    return this.#checkpoints.bytesOf(hash)
  }

  /** One ring-checkpoint step now (membership-checkpoints.ts; it also runs on its own timer). */
  async checkpointStep (): Promise<void> {
    await this.#checkpoints.step()
  }

  /** The ring checkpoint this peer folds from, if it adopted one. */
  checkpoint (): RingCheckpoint | undefined {
    return this.#checkpoints.adopted
  }

  /**
   * `record` advertising the checkpoint we fold from (a member's own record; a restart's
   * forgets what it proposed before), or none: without checkpoints a record stays
   * byte-identical to an older peer's. A newcomer's says the members' checkpoint at once,
   * so that those who join after it still see every member agree on it.
   */
  #advertising (record: MemberRecord): MemberRecord {
    const ref = record.weight > 0 ? this.#checkpoints.adoptedRef() : undefined
    const { checkpoint: _old, ...rest } = record
    return validateRecord(ref === undefined ? rest : { ...rest, checkpoint: ref })
  }

  /** Our own record, one heartbeat later, advertising `ref` (not persisted: a restart advertises the adopted one). */
  async #advertise (ref: CheckpointRef): Promise<void> {
    await this.#selfUpdates.run(async () => {
      const current = this.#self?.record
      if (current === undefined || current.status !== 'active') return
      await this.#publishSelf(validateRecord({ ...current, heartbeat: current.heartbeat + 1, checkpoint: ref }), false)
    })
  }

  /**
   * A checkpoint was adopted (and persisted): the ring folds from it, and the records it
   * makes compactable leave the table and storage. They are refused from now on (#applyVerified).
   */
  async #compact (checkpoint: RingCheckpoint): Promise<void> {
    const ops: StorageOp[] = []
    const now = this.#ctx.clock.now()
    for (const [id, at] of this.#droppedMembers) {
      if (now - at < DROPPED_MEMBER_ROLE_MS) continue
      this.#droppedMembers.delete(id)
      ops.push(droppedOp(id, null))
    }
    for (const record of [...this.#table.values()]) {
      if (record.id === this.#ctx.id || !compactable(record, checkpoint)) continue
      if (record.weight > 0 && !this.#removals.has(record.id)) {
        // Persisted: a restart of ours must not make it a stranger while it hands off.
        this.#droppedMembers.set(record.id, now)
        ops.push(droppedOp(record.id, now))
      }
      this.#forget(record.id)
      ops.push(forgetOp(record.id))
    }
    this.#updateRing()
    if (this.#ringStale) this.#rebuildRing()
    if (ops.length > 0) await this.#ctx.storage.write(ops)
  }

  /** Whether `peer` is a member whose record a checkpoint dropped less than DROPPED_MEMBER_ROLE_MS ago (it may still be handing its data off). */
  #wasDroppedMember (peer: PeerId): boolean {
    const at = this.#droppedMembers.get(peer)
    return at !== undefined && this.#ctx.clock.now() - at < DROPPED_MEMBER_ROLE_MS
  }

  /** Takes `id` out of the table, its digest, the signatures and the gossip candidates. */
  #forget (id: PeerId): void {
    const hash = this.#recordHashes.get(id)
    if (hash !== undefined) {
      xorDigest(this.#digest, digestBucket(id), hash)
      this.#hashOwners.delete(recordDigestKey(hash))
    }
    this.#recordHashes.delete(id)
    this.#exchange.forget(id)
    this.#bucketIds[digestBucket(id)]?.delete(id)
    this.#table.delete(id)
    this.#signed.delete(id)
    this.#dirty.delete(id)
    this.#verifiedAdmissions.delete(id)
    const at = this.#gossipIndex.get(id)
    if (at !== undefined) {
      const last = this.#gossipIds.pop() as PeerId
      if (last !== id) {
        this.#gossipIds[at] = last
        this.#gossipIndex.set(last, at)
      }
      this.#gossipIndex.delete(id)
    }
  }

  /** Persists the dirty member records; writes requested meanwhile follow in the next batch. */
  #flushMembers (): void {
    if (this.#flushing !== undefined) return
    this.#flushing = (async () => {
      while (this.#dirty.size > 0) {
        const ops: StorageOp[] = []
        for (const id of this.#dirty) {
          const signed = this.#signed.get(id)
          if (signed !== undefined) ops.push(memberOp(signed))
        }
        this.#dirty.clear()
        await this.#ctx.storage.write(ops)
      }
    })().catch((error: unknown) => {
      this.#ctx.log.error('persisting member records failed', { error: describeError(error) })
    }).finally(() => { this.#flushing = undefined })
  }

  /** Every REMOVAL_REGOSSIP_HEARTBEATS heartbeats, the recent removals again (constants.ts). */
  #regossipRemovals (): void {
    if (++this.#heartbeats % REMOVAL_REGOSSIP_HEARTBEATS !== 0) return
    const now = this.#ctx.clock.now()
    for (const signed of this.#removals.all()) {
      if (now - signed.removal.removedAt <= REMOVAL_REGOSSIP_MS) this.#ctx.network.announceRemoval(signed)
    }
  }

  #scheduleHeartbeat (): void {
    this.#heartbeatTimer = this.#ctx.clock.setTimer(this.#ctx.config.heartbeatIntervalMs, () => {
      this.#heartbeatTimer = undefined
      if (!this.#running) return
      this.#gossipRound().catch((error: unknown) => {
        this.#ctx.log.error('gossip round failed', { error: describeError(error) })
      }).finally(() => {
        if (this.#running) this.#scheduleHeartbeat()
      })
    })
  }
}

/**
 * Whether replacing `held` by `next` can change the ring: the ring is a function of the
 * join/leave events (joinedAt, leftAt, status, weight, zone), never of heartbeats or
 * addresses. Skipping the rebuild keeps the gossip hot path (heartbeats) cheap.
 */
function affectsRing (held: MemberRecord | undefined, next: MemberRecord): boolean {
  return held === undefined || held.status !== next.status || held.weight !== next.weight ||
    held.zone !== next.zone || held.joinedAt !== next.joinedAt || held.leftAt !== next.leftAt ||
    !sameStints(held.stints ?? [], next.stints ?? [])
}

function sameStints (a: readonly Stint[], b: readonly Stint[]): boolean {
  return a === b || (a.length === b.length && a.every((s, i) => {
    const t = b[i] as Stint
    return s.joinedAt === t.joinedAt && s.leftAt === t.leftAt && s.weight === t.weight && s.zone === t.zone
  }))
}

/** `now`, or just after the latest join or leave time in `table` when that is later (a clock behind). Earlier stints end before their record's join. */
function afterKnownEvents (table: ReadonlyMap<PeerId, MemberRecord>, now: number): number {
  let latest = -1
  for (const r of table.values()) latest = Math.max(latest, r.joinedAt, r.leftAt ?? -1)
  return Math.max(now, latest + 1)
}

/** What a removed member counts as in the table digest (see #store): the same on every peer. */
function removedStandIn (id: PeerId, removedAt: number): MemberRecord {
  return { id, addrs: [], weight: 0, zone: '', status: 'left', incarnation: 0, heartbeat: 0, joinedAt: 0, leftAt: removedAt }
}

/** Bound on #pushedAt and #comparedAt: forgotten all at once when reached (a forgotten entry only allows one more pull). */
const PUSHED_AT_MAX = 1024
