/**
 * The put/delete state machine: the I/O around put-core.ts. A delete is a put of a
 * tombstone (`value: null`).
 *
 *   validate → plan coordination ─ forward → a primary coordinates (coordinate-put)
 *                                 └ mint → new dot, written locally ┬ → answer at w acks
 *                                          replica-put to the other ┘   (local one of them)
 *                                          placements, meanwhile
 *
 * A write the caller sees fail for lack of acks is answered only once the local write has
 * settled (put-core.ts putVerdict), so it still stands here and spreads later: every
 * placement that does not take it gets a hint kept here, and primaries nobody stands in
 * for get one up front.
 */
import { context, validateContext, validateKey, validateValue, walkOrder } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Placement, Request, Response, VersionVector } from '@ringstore/core'
import { describeError, isUnreachable } from '../protocol/rpc.js'
import type { PeerContext } from '../components.js'
import { mint } from '../data/mint.js'
import { PeerStoppedError, QuorumNotMetError, RemoteError } from '../errors.js'
import type { Operation } from '../metrics.js'
import type { PutResult } from '../api.js'
import { askPrimary } from './forward.js'
import { isLight, placeKey } from './placement.js'
import type { KeyPlacement } from './placement.js'
import type { FallbackPool, PutState, PutVerdict } from './put-core.js'
import {
  addLocalResult, addPutResult, dotFromContext, hintTargetOf, initFallbackPool, initPut, planCoordination, planReplication, putVerdict,
  replaceFailed
} from './put-core.js'

/** A put or delete to coordinate: the forwarded `coordinate-put` request without its tag. */
export type PutCommand = Omit<Extract<Request, { readonly type: 'coordinate-put' }>, 'type'>

type Decided = Exclude<PutVerdict, { readonly kind: 'wait' }>

/** How one replica-put ended: only a silent peer (timeout, unreachable) gets a stand-in. */
type SendResult = 'acked' | 'refused' | 'silent'

export type MintOutcome =
  | { readonly kind: 'ok', readonly context: VersionVector, readonly dot: readonly [string, number], readonly acks: number }
  | { readonly kind: 'quorum-failed', readonly dot: readonly [string, number], readonly acks: number, readonly required: number }

export class PutCoordinator {
  readonly #ctx: PeerContext

  constructor (ctx: PeerContext) {
    this.#ctx = ctx
  }

  /** Coordinate a client's put or delete. Throws typed errors; QuorumNotMetError carries `dot` when minted here. */
  async put (command: PutCommand): Promise<PutResult> {
    checkCommand(command)
    let placed = placeKey(this.#ctx, command.key, command.n)
    const plan = planCoordination(this.#ctx.id, isLight(this.#ctx), placed.placements)
    if (plan.kind === 'forward') {
      const forwarded = await this.#forward(command, plan.to)
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
    const error = new QuorumNotMetError(operationOf(command), outcome.acks, outcome.required)
    error.dot = outcome.dot
    throw error
  }

  /**
   * Mint the new version here and replicate it. The replica-puts leave as soon as the new
   * version is staged, while it is being written here (the store allowing: replica-store.ts
   * "Staged mints"), so a put pays one fsync on its path, not two; the local write counts
   * as one ack once durable. Used for a client put this peer
   * may coordinate and for a `coordinate-put` forwarded by another peer (never forwarded
   * again, so a disagreement about the ring cannot bounce a request around).
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
    const hintsKept = Promise.all(plan.localHints.map((target) => this.#keepHint(target, command.key, clock)))
    const verdict = await this.#replicate(command, clock, plan.sends, pool, durable)
    await hintsKept
    if (verdict.kind === 'fail') return { kind: 'quorum-failed', dot, acks: verdict.acks, required: verdict.required }
    return { kind: 'ok', context: context(clock), dot, acks: verdict.acks }
  }

  /**
   * Send to every placement at once; settle on the first decisive verdict (the rest go on).
   * A placement that goes silent before w is met is replaced by the next reachable peer
   * along the ring (replaceFailed), which takes the write with a hint for the primary. The
   * local write is one more result, fed in once it settles.
   */
  #replicate (command: PutCommand, clock: DvvSet, sends: readonly Placement[], initialPool: FallbackPool, localDurable: Promise<boolean>): Promise<Decided> {
    const ctx = this.#ctx
    const silent = command.silent ?? []
    const reachable = (peer: PeerId): boolean => ctx.detector.isReachable(peer) && !silent.includes(peer)
    return new Promise((resolve) => {
      // Not decided yet, whatever w: the local write is still pending and w ≥ 1.
      let state = initPut(command.w, sends.length)
      let pool = initialPool
      // The caller is told when the core's phase turns decided; later results still count.
      const advance = (next: PutState): void => {
        const decides = state.phase === 'collecting' && next.phase === 'decided'
        state = next
        if (!decides) return
        const verdict = putVerdict(next)
        if (verdict.kind !== 'wait') resolve(verdict)
      }
      const send = (placement: Placement): void => {
        void this.#sendReplica(placement, command.key, clock).then((result) => {
          const replacement = result === 'silent' ? replaceFailed(state, pool, placement, reachable) : undefined
          if (replacement === undefined) {
            advance(addPutResult(state, result === 'acked'))
            return
          }
          state = replacement.state
          pool = replacement.pool
          ctx.log.debug('a replica went silent; a fallback stands in', { key: command.key, silent: placement.peer, fallback: replacement.placement.peer })
          send(replacement.placement)
        })
      }
      void localDurable.then((durable) => { advance(addLocalResult(state, durable)) })
      for (const placement of sends) send(placement)
    })
  }

  /**
   * One replica-put; never rejects. A silent peer gets a hint kept here before this
   * resolves, even when a fallback then stands in for it: the fallback's hint may be lost
   * (it may leave or fail), this one makes sure the write still reaches the primary later.
   */
  async #sendReplica (placement: Placement, key: Key, clock: DvvSet): Promise<SendResult> {
    const ctx = this.#ctx
    const request = placement.role === 'fallback' && placement.hintFor !== undefined
      ? { type: 'replica-put' as const, key, clock, hintFor: placement.hintFor }
      : { type: 'replica-put' as const, key, clock }
    try {
      const response = await ctx.network.request(placement.peer, request, ctx.config.requestTimeoutMs)
      ctx.detector.reportSuccess(placement.peer)
      if (response.type === 'clock') return 'acked'
      ctx.log.warn('replica refused a put', { peer: placement.peer, key, response: describeResponse(response) })
      return 'refused'
    } catch (error) {
      if (!isUnreachable(error)) {
        ctx.log.warn('replica put failed', { peer: placement.peer, key, error: describeError(error) })
        return 'refused'
      }
      ctx.detector.reportFailure(placement.peer)
      await this.#keepHint(hintTargetOf(placement), key, clock)
      return 'silent'
    }
  }

  async #keepHint (target: PeerId, key: Key, clock: DvvSet): Promise<void> {
    if (target === this.#ctx.id) return
    try {
      await this.#ctx.hints.add(target, key, clock)
    } catch (error) {
      this.#ctx.log.error('could not keep a hint', { target, key, error: describeError(error) })
    }
  }

  /**
   * Ask the reachable primaries in order to coordinate (forward.ts: a silent one is given up
   * on after 1.5 × requestTimeoutMs, a busy one gets 2×). undefined = none answered (the
   * caller mints locally); a primary's quorum failure is the answer, not a reason to retry.
   */
  async #forward (command: PutCommand, primaries: readonly PeerId[]): Promise<PutResult | undefined> {
    const ctx = this.#ctx
    const request = {
      type: 'coordinate-put' as const,
      key: command.key,
      value: command.value,
      context: command.context,
      n: command.n,
      w: command.w,
      ts: command.ts
    }
    // Primaries that stayed silent: the next one is told, so that it does not spend one
    // more request timeout on them before a fallback stands in (the 2 s bound).
    const silent: PeerId[] = []
    for (const primary of primaries) {
      const attempt = await askPrimary(ctx, primary, silent.length === 0 ? request : { ...request, silent: [...silent] })
      if (attempt.kind === 'failed') {
        if (isUnreachable(attempt.error)) {
          ctx.detector.reportFailure(primary)
          silent.push(primary)
        }
        ctx.log.debug('forwarded put failed', { primary, key: command.key, error: describeError(attempt.error) })
        continue
      }
      const { response } = attempt
      ctx.detector.reportSuccess(primary)
      if (response.type === 'put-result') {
        const dot = dotFromContext(response.context, primary) ?? [primary, 0]
        return { context: response.context, dot, acks: response.acks }
      }
      if (response.type === 'quorum-failed') throw new QuorumNotMetError(operationOf(command), response.acks, response.required, `coordinated by ${primary}`)
      if (response.type === 'error' && (response.code === 'bad-request' || response.code === 'too-large')) {
        throw new RemoteError(primary, response.code, response.message)
      }
      ctx.log.warn('primary could not coordinate a put', { primary, key: command.key, response: describeResponse(response) })
    }
    return undefined
  }
}

export function operationOf (command: { readonly value: Uint8Array | null }): Operation {
  return command.value === null ? 'delete' : 'put'
}

/** Typed errors for bad input, before anything is written or sent. */
function checkCommand (command: PutCommand): void {
  validateKey(command.key)
  if (command.value !== null) validateValue(command.value)
  validateContext(command.context)
}

function describeResponse (response: Response): string {
  return response.type === 'error' ? `${response.code}: ${response.message}` : response.type
}
