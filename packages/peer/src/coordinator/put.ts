/**
 * The put/delete state machine: the I/O around put-core.ts. A delete is a put of a
 * tombstone (`value: null`).
 *
 *   validate → plan coordination ─ forward → a primary coordinates (coordinate-put)
 *                                 └ mint → new dot, written locally ┬ → answer at w acks
 *                                          replica-put to the other ┘   (local one of them
 *                                                                         if it is a primary
 *                                                                         or stands in for one)
 *                                          placements, meanwhile
 *
 * A write the caller sees fail for lack of acks is answered only once the local write has
 * settled (put-core.ts putVerdict), so it still stands here and spreads later: every
 * placement that does not take it gets a hint kept here, and primaries nobody stands in
 * for get one up front.
 */
import { clientContext, validateContext, validateKey, validateValue, walkOrder } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Placement } from '@ringstore/core'
import { mint } from '../data/mint.js'
import type { PutResult } from '../api.js'
import type { FailureDetector, HintStore, MembershipView, ReplicaStore } from '../components.js'
import type { PeerConfig } from '../config.js'
import { HintQuotaError, PeerStoppedError, QuorumNotMetError, RemoteError, describeError, isUnreachable } from '../errors.js'
import type { Clock, Logger } from '../interfaces.js'
import { forwardPut, operationOf } from '../protocol/coordinate-put.js'
import type { MintOutcome, PutCommand } from '../protocol/coordinate-put.js'
import type { ReplicaAccess } from '../protocol/replica-access.js'
import type { PeerRpc } from '../protocol/rpc.js'
import { isLight, placeKey } from './placement.js'
import type { KeyPlacement, PlacementDeps } from './placement.js'
import type { FallbackPool, PutState, PutVerdict } from './put-core.js'
import {
  addLocalResult, addPutResult, hintTargetOf, initFallbackPool, initPut, localCounts, planCoordination, planReplication, putVerdict, replaceFailed
} from './put-core.js'

export type { MintOutcome, PutCommand }

export interface PutCoordinatorDeps extends PlacementDeps {
  readonly config: Pick<PeerConfig, 'weight'>
  readonly clock: Clock
  readonly log: Logger
  readonly replicas: Pick<ReplicaStore, 'stage'>
  readonly hints: Pick<HintStore, 'add'>
  readonly membership: Pick<MembershipView, 'ring' | 'self'>
  readonly detector: Pick<FailureDetector, 'isReachable'>
  readonly rpc: PeerRpc
  readonly access: Pick<ReplicaAccess, 'put'>
  /**
   * True while the peer serves. A version minted by a stopped peer would be acknowledged
   * from a copy nobody will ever hand off, so minting checks it.
   */
  readonly isRunning: () => boolean
}

type Decided = Exclude<PutVerdict, { readonly kind: 'wait' }>

/**
 * How one replica-put ended: only a silent peer (timeout, unreachable) or a fallback over
 * its hint quota gets a stand-in; both kept nothing, and `hintKept` says whether this peer
 * now keeps the hint that carries the version to the primary instead.
 */
interface SendResult {
  readonly outcome: 'acked' | 'refused' | 'silent' | 'over-quota'
  readonly hintKept: boolean
}

/** This peer's own write of the new version: settled once stored (and its hints kept), and whether it is an ack. */
interface LocalWriteResult {
  /** Resolves true once the version is durable here together with every hint it must keep. */
  readonly written: Promise<boolean>
  /** It is one of the W acks from the start (put-core.ts localCounts). */
  readonly counts: boolean
}

export class PutCoordinator {
  readonly #ctx: PutCoordinatorDeps

  constructor (ctx: PutCoordinatorDeps) {
    this.#ctx = ctx
  }

  /** Coordinate a client's put or delete. Throws typed errors; QuorumNotMetError carries `dot` when minted here. */
  async put (command: PutCommand): Promise<PutResult> {
    checkCommand(command)
    let placed = placeKey(this.#ctx, command.key, command.n)
    const plan = planCoordination(this.#ctx.id, isLight(this.#ctx.config), placed.placements)
    if (plan.kind === 'forward') {
      const forwarded = await forwardPut(this.#ctx, command, plan.to)
      if (forwarded !== undefined) return forwarded
      // A peer that left keeps no data: a version minted here would be acknowledged from a
      // copy that its finished hand-off will never move (found by sim seed 113 --churn).
      if (this.#ctx.membership.self().status !== 'active') {
        throw new QuorumNotMetError(operationOf(command), 0, command.w, 'this peer has left the cluster and no primary answered')
      }
      this.#ctx.log.debug('no primary coordinated the put; minting locally', { key: command.key })
      // The forward taught the failure detector which primaries are silent: place again.
      placed = placeKey(this.#ctx, command.key, command.n)
    }
    const outcome = await this.#mint(command, placed)
    if (outcome.kind === 'ok') return { context: outcome.context, dot: outcome.dot, acks: outcome.acks }
    const error = new QuorumNotMetError(operationOf(command), outcome.acks, outcome.required, outcome.detail)
    error.dot = outcome.dot
    throw error
  }

  /**
   * Mint the new version here and replicate it. The replica-puts leave as soon as the new
   * version is staged, while it is being written here (the store allowing: replica-store.ts
   * "Staged mints"), so a put pays one fsync on its path, not two; the local write counts
   * as one ack once durable when this peer is a primary or stands in for one (localCounts).
   * Used for a client put this peer may coordinate and for a `coordinate-put` forwarded by
   * another peer (never forwarded again, so a disagreement about the ring cannot bounce a
   * request around).
   */
  async mint (command: PutCommand): Promise<MintOutcome> {
    checkCommand(command)
    return await this.#mint(command, placeKey(this.#ctx, command.key, command.n, command.silent))
  }

  /** mint() for a checked command already placed (placing hashes the key: once per put). */
  async #mint (command: PutCommand, placed: KeyPlacement): Promise<MintOutcome> {
    const ctx = this.#ctx
    if (!ctx.isRunning()) throw new PeerStoppedError()
    const { ring, partition, preference, placements } = placed
    const plan = planReplication(ctx.id, preference, placements)
    const pool = initFallbackPool(ctx.id, () => walkOrder(ring, partition), preference, plan.sends)
    // Nothing is sent before the new version is staged: a failure before that (too many
    // siblings, a read error) is the caller's error, exactly as without staging.
    const { result: { dot }, clock, durable } = await ctx.replicas.stage(command.key, (current, actor) => mint(current, command, actor))
    const refusals: string[] = []
    const hintsKept = Promise.all(plan.localHints.map((target) => this.#keepHint(target, command.key, clock, refusals)))
    // A copy here stands in for a primary only together with the hint that carries it
    // there: when this peer is no primary of the key (a light peer, or no primary
    // answered) and a hint it must keep is refused (over quota), its write is no ack.
    const written = preference.includes(ctx.id)
      ? durable
      : Promise.all([durable, hintsKept]).then(([stored, kept]) => stored && kept.every(Boolean))
    const local = { written, counts: localCounts(ctx.id, preference, plan) }
    const verdict = await this.#replicate(command, clock, plan.sends, pool, local, refusals)
    await hintsKept
    if (verdict.kind === 'fail') {
      return { kind: 'quorum-failed', dot, acks: verdict.acks, required: verdict.required, ...(refusals.length > 0 ? { detail: refusals.join('; ') } : {}) }
    }
    return { kind: 'ok', context: clientContext(clock), dot, acks: verdict.acks }
  }

  /**
   * Send to every placement at once; settle on the first decisive verdict (the rest go on).
   * A placement that goes silent before w is met is replaced by the next reachable peer
   * along the ring (replaceFailed), which takes the write with a hint for the primary; with
   * nobody left to stand in, this peer does, once, when its own copy was no ack yet and it
   * keeps that primary's hint (a tab whose primary went silent mid-write). The local write
   * is one more result, fed in once it settles.
   */
  #replicate (command: PutCommand, clock: DvvSet, sends: readonly Placement[], initialPool: FallbackPool, local: LocalWriteResult, refusals: string[]): Promise<Decided> {
    const ctx = this.#ctx
    const silent = command.silent ?? []
    const reachable = (peer: PeerId): boolean => ctx.detector.isReachable(peer) && !silent.includes(peer)
    return new Promise((resolve) => {
      // Not decided yet, whatever w: the local write is still pending and w ≥ 1.
      let state = initPut(command.w, sends.length)
      let pool = initialPool
      let mayStandIn = !local.counts
      // The caller is told when the core's phase turns decided; later results still count.
      const advance = (next: PutState): void => {
        const decides = state.phase === 'collecting' && next.phase === 'decided'
        state = next
        if (!decides) return
        const verdict = putVerdict(next)
        if (verdict.kind !== 'wait') resolve(verdict)
      }
      const send = (placement: Placement): void => {
        void this.#sendReplica(placement, command.key, clock, refusals).then(({ outcome, hintKept }) => {
          const silent = outcome === 'silent' || outcome === 'over-quota'
          const replacement = silent ? replaceFailed(state, pool, placement, reachable) : undefined
          if (replacement === undefined && silent && hintKept && mayStandIn && state.phase === 'collecting') {
            mayStandIn = false
            ctx.log.debug('a replica went silent and nobody else can stand in; this peer does, with its hint', { key: command.key, failed: placement.peer })
            void local.written.then((written) => { advance(addPutResult(state, written)) })
            return
          }
          if (replacement === undefined) {
            advance(addPutResult(state, outcome === 'acked'))
            return
          }
          state = replacement.state
          pool = replacement.pool
          ctx.log.debug('a replica went silent or is over its hint quota; a fallback stands in', { key: command.key, failed: placement.peer, fallback: replacement.placement.peer })
          send(replacement.placement)
        })
      }
      void local.written.then((written) => { advance(addLocalResult(state, written, local.counts)) })
      for (const placement of sends) send(placement)
    })
  }

  /**
   * One replica-put; never rejects. A silent peer gets a hint kept here before this
   * resolves, even when a fallback then stands in for it: the fallback's hint may be lost
   * (it may leave or fail), this one makes sure the write still reaches the primary later.
   * A fallback over its hint quota kept nothing: the same. Whatever kept a replica from
   * taking the write (a refusal, silence, a quota) is a reason (`refusals`) given with a
   * failed quorum, naming the replica, so the caller's error says which one failed and how.
   */
  async #sendReplica (placement: Placement, key: Key, clock: DvvSet, refusals: string[]): Promise<SendResult> {
    const ctx = this.#ctx
    const hintFor = placement.role === 'fallback' ? placement.hintFor : undefined
    try {
      await ctx.access.put(placement.peer, key, clock, hintFor)
      return { outcome: 'acked', hintKept: false }
    } catch (error) {
      const overQuota = error instanceof RemoteError && error.code === 'over-quota'
      if (!isUnreachable(error) && !overQuota) {
        ctx.log.warn('replica refused a put', { peer: placement.peer, key, error: describeError(error) })
        refusals.push(`${placement.peer} refused it (${describeError(error)})`)
        return { outcome: 'refused', hintKept: false }
      }
      refusals.push(overQuota ? error.message : `${placement.peer} did not answer (${describeError(error)})`)
      const hintKept = await this.#keepHint(hintTargetOf(placement), key, clock, refusals)
      return { outcome: overQuota ? 'over-quota' : 'silent', hintKept }
    }
  }

  /** Keeps a hint here; resolves false when it could not (a quota refusal goes to `refusals`). */
  async #keepHint (target: PeerId, key: Key, clock: DvvSet, refusals: string[]): Promise<boolean> {
    if (target === this.#ctx.id) return true
    try {
      await this.#ctx.hints.add(target, key, clock)
      return true
    } catch (error) {
      if (error instanceof HintQuotaError) {
        refusals.push(`this peer: ${error.message}`)
        this.#ctx.log.debug('could not keep a hint', { target, key, error: error.message })
      } else {
        this.#ctx.log.error('could not keep a hint', { target, key, error: describeError(error) })
      }
      return false
    }
  }
}

/** Typed errors for bad input, before anything is written or sent. */
function checkCommand (command: PutCommand): void {
  validateKey(command.key)
  if (command.value !== null) validateValue(command.value)
  validateContext(command.context)
}
