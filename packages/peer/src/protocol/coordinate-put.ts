/**
 * `coordinate-put`: a put or delete forwarded to a primary of the key by a peer that may
 * not mint it itself (only a peer holding the key's history may mint a dot: a primary, or
 * a light peer for its own replica; data/actor-epoch.ts). Served by the
 * primary's put coordinator (`mint`, never forwarded again, so a disagreement about the
 * ring cannot bounce a request around); asked by the forwarding peer's (`forwardPut`).
 *
 * The timeout problem. A primary that coordinates may itself wait one requestTimeoutMs for
 * a silent replica before a fallback stands in, so the forward must allow twice that before
 * it gives up; at the defaults (1 s) a paused primary would then hold the put for 2 s,
 * longer than the 2 s we allow for routing around a silent peer. Shortening the forward's
 * timeout instead would give up on primaries that are merely waiting for their replicas,
 * and each give-up risks the put being coordinated twice (two sibling versions of one write).
 *
 * So the forward waits one requestTimeoutMs, then asks the primary a `ping` (answered at
 * once, touches nothing) with half that as its timeout:
 *   - no answer to the ping: the primary is paused or cut off; the next primary is asked
 *     (at the defaults, 1.5 s after the first try), told which primaries stayed silent so
 *     that it places the write around them at once. The late answer, if any, is only logged.
 *   - the ping is answered: the primary is alive and busy; the forward keeps waiting up to
 *     the full twice-requestTimeoutMs bound.
 * A primary that stops answering right after its ping was answered still costs the full
 * bound: that window is rare (it must freeze in the half second after the ping).
 */
import { LIMITS, validateContext, validateKey, validateValue } from '@ringstore/core'
import type { PeerId, Request, Response, VersionVector } from '@ringstore/core'
import type { PutResult } from '../api.js'
import { FORWARD_TIMEOUT_FACTOR, MAX_REPLICAS, PING_TIMEOUT_FACTOR } from '../constants.js'
import { InvalidOptionsError, QuorumNotMetError, RemoteError, SiblingsTooLargeError, TooManySiblingsError, describeError, isUnreachable } from '../errors.js'
import type { Clock, Logger } from '../interfaces.js'
import type { Operation } from '../metrics.js'
import { quorumProblem } from '../quorum.js'
import { askPing } from './ping.js'
import { BadRequestError } from './protocol.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/** A put or delete to coordinate: the `coordinate-put` request without its tag. */
export type PutCommand = Omit<Extract<Request, { readonly type: 'coordinate-put' }>, 'type'>

/** What minting and replicating a put here came to (what `coordinate-put` answers). */
export type MintOutcome =
  | { readonly kind: 'ok', readonly context: VersionVector, readonly dot: readonly [string, number], readonly acks: number }
  | { readonly kind: 'quorum-failed', readonly dot: readonly [string, number], readonly acks: number, readonly required: number, readonly detail?: string }

/** The put coordinator, as this protocol uses it. */
export interface Minter {
  mint(command: PutCommand): Promise<MintOutcome>
}

export function operationOf (command: { readonly value: Uint8Array | null }): Operation {
  return command.value === null ? 'delete' : 'put'
}

export const coordinatePut: Protocol<'coordinate-put', { readonly coordinator: Minter }> = {
  type: 'coordinate-put',
  callers: 'member',
  async serve ({ coordinator }, request) {
    const { n, w, ts } = request
    const problem = quorumProblem(n, { w })
    if (problem !== undefined) throw new InvalidOptionsError(problem)
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) throw new BadRequestError('ts must be a finite number ≥ 0')
    const value = request.value === null ? null : validateValue(request.value)
    validateContext(request.context)
    const silent = checkSilent(request.silent)
    const outcome = await coordinator.mint({ key: validateKey(request.key), value, context: request.context, n, w, ts, ...(silent === undefined ? {} : { silent }) })
    return outcome.kind === 'ok'
      ? { type: 'put-result', context: outcome.context, acks: outcome.acks }
      : { type: 'quorum-failed', acks: outcome.acks, required: outcome.required }
  }
}

/** A forwarder's list of silent primaries: absent, or 1..MAX_REPLICAS peer ids. */
function checkSilent (silent: unknown): PeerId[] | undefined {
  if (silent === undefined) return undefined
  if (!Array.isArray(silent) || silent.length === 0 || silent.length > MAX_REPLICAS || !silent.every((p) => typeof p === 'string' && p !== '')) {
    throw new BadRequestError(`silent must be a list of 1 to ${MAX_REPLICAS} peer ids`)
  }
  return silent as PeerId[]
}

export interface ForwardDeps {
  readonly rpc: PeerRpc
  readonly clock: Clock
  readonly log: Logger
}

/**
 * Ask `primaries` in order to coordinate `command` (see the file comment). undefined = none
 * answered (the caller mints locally); a primary's quorum failure is the answer, not a
 * reason to ask the next one, and so is a refusal of the request itself.
 */
export async function forwardPut (deps: ForwardDeps, command: PutCommand, primaries: readonly PeerId[]): Promise<PutResult | undefined> {
  const { log } = deps
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
  // more request timeout on them before a fallback stands in.
  const silent: PeerId[] = []
  for (const primary of primaries) {
    const attempt = await askPrimary(deps, primary, silent.length === 0 ? request : { ...request, silent: [...silent] })
    if (attempt.kind === 'failed') {
      if (isUnreachable(attempt.error)) silent.push(primary)
      log.debug('forwarded put failed', { primary, key: command.key, error: describeError(attempt.error) })
      continue
    }
    const { response } = attempt
    if (response.type === 'put-result') {
      const dot = dotFromContext(response.context, primary) ?? [primary, 0]
      return { context: response.context, dot, acks: response.acks }
    }
    if (response.type === 'quorum-failed') throw new QuorumNotMetError(operationOf(command), response.acks, response.required, `coordinated by ${primary}`)
    // The value passed validateValue before it was forwarded, so a 'too-large' refusal is the
    // key's write bound in bytes (router.ts): the same named error as a local refusal.
    if (response.type === 'error' && response.code === 'too-large') {
      throw new SiblingsTooLargeError(undefined, LIMITS.siblingBytes, `${primary} refused: ${response.message}`)
    }
    if (response.type === 'error' && response.code === 'bad-request') {
      // A refusal at the sibling count travels as a bad-request with TooManySiblingsError's
      // message: the same named error as a local refusal (HTTP 409, not a remote error).
      throw TooManySiblingsError.fromMessage(response.message) ?? new RemoteError(primary, response.code, response.message)
    }
    log.warn('primary could not coordinate a put', { primary, key: command.key, response: describeResponse(response) })
  }
  return undefined
}

/** What asking one primary came to: its reply, or why there is none. */
type ForwardAttempt =
  | { readonly kind: 'answer', readonly response: Response }
  | { readonly kind: 'failed', readonly error: unknown }

/**
 * Ask `primary` to coordinate `request`. Never rejects. A failed ping gives `failed` with
 * the ping's error (a timeout), so the caller treats the primary like any silent peer.
 */
async function askPrimary ({ rpc, clock, log }: ForwardDeps, primary: PeerId, request: Extract<Request, { readonly type: 'coordinate-put' }>): Promise<ForwardAttempt> {
  const timeoutMs = rpc.timeoutMs
  // Reported only when used: given up on, its late answer or timeout is only logged.
  const answer: Promise<ForwardAttempt> = rpc.sendUnreported(primary, request, timeoutMs * FORWARD_TIMEOUT_FACTOR).then(
    (response) => ({ kind: 'answer', response }),
    (error: unknown) => ({ kind: 'failed', error })
  )
  const early = await within(clock, answer, timeoutMs)
  if (early !== undefined) return reported(rpc, primary, early)
  const ping = pingForSilence(rpc, log, primary, timeoutMs * PING_TIMEOUT_FACTOR).then((silence) => ({ kind: 'ping' as const, silence }))
  const raced = await Promise.race([answer, ping])
  if (raced.kind !== 'ping') return reported(rpc, primary, raced)
  if (raced.silence === undefined) return reported(rpc, primary, await answer)
  void answer.then((late) => {
    if (late.kind !== 'answer') return
    log.info('a primary answered a forwarded put after it was given up on', { primary, key: request.key, response: late.response.type })
  })
  return { kind: 'failed', error: raced.silence }
}

/** `attempt`, its outcome told to the failure detector (the forward's answer is used). */
function reported (rpc: PeerRpc, primary: PeerId, attempt: ForwardAttempt): ForwardAttempt {
  rpc.report(primary, attempt.kind === 'failed' ? attempt.error : undefined)
  return attempt
}

/** undefined when `peer` answered a ping (any reply proves it alive), else the timeout error. */
async function pingForSilence (rpc: PeerRpc, log: Logger, peer: PeerId, timeoutMs: number): Promise<unknown> {
  try {
    await askPing(rpc, peer, { timeoutMs })
    return undefined
  } catch (error) {
    // Only silence counts as silence: any other failure is no proof the primary is gone,
    // and giving up on a live one risks a second coordination of the same put.
    if (!isUnreachable(error)) {
      log.debug('ping failed without a timeout', { peer, error: describeError(error) })
      return undefined
    }
    return error
  }
}

/** `promise`'s value if it settles within `ms` on `clock`, else undefined; the timer is cleared either way. */
function within<T> (clock: Clock, promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = clock.setTimer(ms, () => { resolve(undefined) })
    promise.then(
      (value) => { clock.clearTimer(timer); resolve(value) },
      (error: unknown) => { clock.clearTimer(timer); reject(error instanceof Error ? error : new Error(String(error))) }
    )
  })
}

/**
 * The dot a remote coordinator minted, read from the context it returned: its actor with
 * the highest epoch (`${peer}:${epoch}`; a fresh epoch has only the new dot for this key).
 */
export function dotFromContext (context: ReadonlyArray<readonly [string, number]>, coordinator: PeerId): readonly [string, number] | undefined {
  let best: readonly [string, number] | undefined
  let bestEpoch = -1
  for (const [actor, counter] of context) {
    if (!actor.startsWith(`${coordinator}:`)) continue
    const epoch = Number(actor.slice(coordinator.length + 1))
    if (Number.isSafeInteger(epoch) && epoch > bestEpoch) {
      bestEpoch = epoch
      best = [actor, counter]
    }
  }
  return best
}

export function describeResponse (response: Response): string {
  return response.type === 'error' ? `${response.code}: ${response.message}` : response.type
}

