/**
 * The get state machine: the I/O around get-core.ts.
 *
 *   ask every placement (and this peer's own replica when it holds one) → answer after r
 *   replies with their DVV merge → keep collecting for readRepairWindowMs (or until all
 *   answered) → read repair every replica that differs from the final merge.
 *
 * Digest reads (Cassandra's): when this peer's own replica counts and holds a version, it
 * asks the others only for the digest of theirs (`replica-digest`, answered from their
 * Merkle tree without a storage read) and fetches the version itself (`replica-get`) only
 * from a replica whose digest differs from its own. Equal digests mean equal encoded clocks, so
 * such a replica's reply is our own version: the quorum, the answer and the read-repair
 * decision are exactly what full replies would give, and an up-to-date replica no longer
 * sends its whole value on every read. A peer that does not know `replica-digest` (an
 * older version) is asked `replica-get` instead.
 *
 * Corrupt copies. A replica whose stored record of the key fails its checksum (this peer's
 * own, read locally, or another's, which answers the error code 'corrupt') holds an unknown
 * version: it counts as a failed replica for R, never as "no such key", and read repair
 * overwrites it with the merge of the others. A get that misses R because of such copies
 * fails with CorruptReplicaError (HTTP 503 `corrupt`), not with a 404.
 */
import { CorruptRecordError, equalBytes, hasNoOwners, validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Placement } from '@ringstore/core'
import type { GetResult } from '../api.js'
import type { ReplicaStore } from '../components.js'
import type { PeerConfig } from '../config.js'
import { CorruptReplicaError, QuorumNotMetError, RemoteError, describeError, isUnreachable } from '../errors.js'
import type { Clock, TimerHandle } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import type { ReplicaAccess } from '../protocol/replica-access.js'
import type { GetPhase, GetState } from './get-core.js'
import {
  addCorrupt, addFailure, addReply, closeRepairWindow, corruptFailures, getVerdict, initGet, mergeReplies, planRead, readAnswer, withOwn, withOwnCorrupt
} from './get-core.js'
import { isLight, placeKey } from './placement.js'
import type { PlacementDeps } from './placement.js'
import { repairReplicas } from './read-repair.js'
import type { ReadRepairDeps } from './read-repair.js'

export interface GetCoordinatorDeps extends PlacementDeps, ReadRepairDeps {
  readonly config: Pick<PeerConfig, 'weight' | 'readRepairWindowMs'>
  readonly clock: Clock
  readonly replicas: Pick<ReplicaStore, 'getWithDigest' | 'merge'>
  readonly access: Pick<ReplicaAccess, 'get' | 'digest' | 'put' | 'repairsReplicas'>
  readonly metrics: Pick<PeerMetrics, 'readRepairs' | 'readDigestMismatches' | 'siblingsOnRead'>
}

/** This peer's own version of a key and its digest. */
interface LocalVersion {
  readonly clock: DvvSet
  readonly digest: Uint8Array
}

/** A replica's stored copy of the key is corrupt: an unknown version. */
const CORRUPT = Symbol('corrupt')

export interface GetCommand {
  readonly key: Key
  readonly n: number
  readonly r: number
}

export class GetCoordinator {
  readonly #ctx: GetCoordinatorDeps

  constructor (ctx: GetCoordinatorDeps) {
    this.#ctx = ctx
  }

  async get (command: GetCommand): Promise<GetResult> {
    validateKey(command.key)
    const ctx = this.#ctx
    const { ring, placements } = placeKey(ctx, command.key, command.n)
    const local = await this.#local(command.key)
    const plan = planRead({ id: ctx.id, light: isLight(ctx.config), noOwners: hasNoOwners(ring), holdsVersion: local !== null }, placements)
    const { remote, selfCounts } = plan
    let state = initGet(command.r, [...(selfCounts ? [ctx.id] : []), ...remote.map((p) => p.peer)])
    if (selfCounts) state = local === CORRUPT ? addCorrupt(state, ctx.id) : addReply(state, ctx.id, local?.clock ?? null)
    else if (plan.mergesOwn) state = local === CORRUPT ? withOwnCorrupt(state, ctx.id) : withOwn(state, ctx.id, local?.clock ?? null)
    const mine = plan.digests && local !== null && local !== CORRUPT ? local : undefined
    return this.#collect(command, state, remote, mine)
  }

  /** This peer's own version and digest (null: none), CORRUPT when its stored record is corrupt. */
  async #local (key: Key): Promise<LocalVersion | null | typeof CORRUPT> {
    try {
      return await this.#ctx.replicas.getWithDigest(key)
    } catch (error) {
      if (error instanceof CorruptRecordError) return CORRUPT
      throw error
    }
  }

  /** `mine`: this peer's own version when digest reads are used (planRead), else undefined. */
  #collect (command: GetCommand, initial: GetState, remote: readonly Placement[], mine: LocalVersion | undefined): Promise<GetResult> {
    const ctx = this.#ctx
    return new Promise<GetResult>((resolve, reject) => {
      let state = initial
      let window: TimerHandle | undefined
      // What each phase the machine enters asks for: the answer, then the repair window or the repair.
      const enter = (from: GetPhase, next: GetState): void => {
        state = next
        if (from === 'collecting' && next.phase !== 'collecting') {
          const verdict = getVerdict(next)
          if (verdict.kind === 'ok') resolve(this.#answer(next, verdict.replies))
          else if (verdict.kind === 'fail') {
            const corrupt = corruptFailures(next)
            reject(corrupt > 0
              ? new CorruptReplicaError(verdict.replies, verdict.required, corrupt)
              : new QuorumNotMetError('get', verdict.replies, verdict.required))
          }
          if (next.phase === 'answered') {
            window = ctx.clock.setTimer(ctx.config.readRepairWindowMs, () => { enter(state.phase, closeRepairWindow(state)) })
          }
        }
        if (from !== 'repaired' && next.phase === 'repaired') {
          if (window !== undefined) ctx.clock.clearTimer(window)
          void repairReplicas(ctx, command.key, next, remote)
        }
      }
      enter('collecting', initial)
      for (const placement of remote) {
        void this.#read(placement.peer, command.key, mine).then((reply) => {
          const peer = placement.peer
          enter(state.phase, reply === undefined ? addFailure(state, peer) : reply === CORRUPT ? addCorrupt(state, peer) : addReply(state, peer, reply))
        })
      }
    })
  }

  #answer (state: GetState, replies: number): GetResult {
    const answer = readAnswer(mergeReplies(state))
    const metrics = this.#ctx.metrics
    const count = answer.values.length
    metrics.siblingsOnRead[count] = (metrics.siblingsOnRead[count] ?? 0) + 1
    return { ...answer, replies }
  }

  /**
   * One replica's version (null = none), or undefined when it failed to answer. With our own
   * version at hand (`mine`) only its digest is asked first, and the version only when the
   * digests differ (see the file comment).
   */
  async #read (peer: PeerId, key: Key, mine: LocalVersion | undefined): Promise<DvvSet | null | typeof CORRUPT | undefined> {
    if (mine === undefined) return this.#ask(peer, key)
    const digest = await this.#askDigest(peer, key)
    if (digest === undefined || digest === CORRUPT) return digest
    if (digest === 'unsupported') return this.#ask(peer, key)
    if (digest === null) return null
    if (equalBytes(digest, mine.digest)) return mine.clock
    this.#ctx.metrics.readDigestMismatches++
    return this.#ask(peer, key)
  }

  /** The digest of a replica's version (null = none), 'unsupported' from an older peer, undefined on failure. */
  #askDigest (peer: PeerId, key: Key): Promise<Uint8Array | null | 'unsupported' | typeof CORRUPT | undefined> {
    return this.#settle(peer, key, 'digest read', this.#ctx.access.digest(peer, key))
  }

  /** One replica-get: the version (null = none), CORRUPT, or undefined when the replica failed to answer. */
  #ask (peer: PeerId, key: Key): Promise<DvvSet | null | typeof CORRUPT | undefined> {
    return this.#settle(peer, key, 'get', this.#ctx.access.get(peer, key))
  }

  /**
   * A request to a replica (the rpc tells the failure detector): its answer, CORRUPT when
   * the replica's copy is corrupt, or undefined (logged) when it refused or failed to answer.
   */
  #settle<T> (peer: PeerId, key: Key, what: string, pending: Promise<T>): Promise<T | typeof CORRUPT | undefined> {
    return pending.catch((error: unknown) => {
      if (error instanceof RemoteError && error.code === 'corrupt') {
        this.#ctx.log.warn(`replica holds a corrupt copy (${what}): repairing it`, { peer, key })
        return CORRUPT
      }
      if (error instanceof RemoteError) this.#ctx.log.warn(`replica refused a ${what}`, { peer, key, response: error.message })
      else if (!isUnreachable(error)) this.#ctx.log.warn(`replica ${what} failed`, { peer, key, error: describeError(error) })
      return undefined
    })
  }
}
