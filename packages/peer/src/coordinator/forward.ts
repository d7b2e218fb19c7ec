/**
 * A put coordinated by a peer that is not a replica of the key: it asks the key's reachable
 * primaries, in order, to coordinate it (`coordinate-put`), and mints locally only when none
 * of them answers (put.ts).
 *
 * The timeout problem. A primary that coordinates may itself wait one requestTimeoutMs for
 * a silent replica before a fallback stands in, so the forward must allow twice that before
 * it gives up; at the defaults (1 s) a paused primary would then hold the put for 2 s, past
 * the bound for routing around a silent peer. Shortening the forward's timeout
 * instead would give up on primaries that are merely waiting for their replicas, and each
 * give-up risks the put being coordinated twice (two sibling versions of one write).
 *
 * So the forward waits one requestTimeoutMs, then asks the primary a `ping` (answered at
 * once, touches nothing) with half that as its timeout:
 *   - no answer to the ping: the primary is paused or cut off; it is reported to the
 *     failure detector and the next primary is asked (at the defaults, 1.5 s after the
 *     first try). The first forward's late answer, if any, is only logged.
 *   - the ping is answered: the primary is alive and busy; the forward keeps waiting up to
 *     the full twice-requestTimeoutMs bound.
 * A primary that stops answering right after its ping was answered still costs the full
 * bound: that window is rare (it must freeze in the half second after the ping).
 */
import type { PeerId, Request, Response } from '@ringstore/core'
import { describeError, isUnreachable } from '../protocol/rpc.js'
import type { PeerContext } from '../components.js'
import type { Clock } from '../interfaces.js'

/**
 * A forwarded put waits for the remote coordinator, which itself may wait one full
 * requestTimeoutMs for its replicas: twice the replica timeout covers both legs.
 */
export const FORWARD_TIMEOUT_FACTOR = 2

/**
 * The ping's timeout as a fraction of requestTimeoutMs. A ping costs the primary nothing
 * but a reply, so an alive primary answers it within network latency even while it waits
 * for its replicas; half the timeout keeps probe + first wait (1.5 × requestTimeoutMs,
 * 1.5 s at the defaults) under the 2 s bound with room for the next primary.
 */
export const PING_TIMEOUT_FACTOR = 0.5

type CoordinatePut = Extract<Request, { readonly type: 'coordinate-put' }>

/** What asking one primary came to: its reply, or why there is none. */
export type ForwardAttempt =
  | { readonly kind: 'answer', readonly response: Response }
  | { readonly kind: 'failed', readonly error: unknown }

/**
 * Ask `primary` to coordinate `request`. Never rejects. A failed ping gives `failed` with
 * the ping's error (a timeout), so the caller reports the primary like any silent peer.
 */
export async function askPrimary (ctx: PeerContext, primary: PeerId, request: CoordinatePut): Promise<ForwardAttempt> {
  const timeoutMs = ctx.config.requestTimeoutMs
  const answer: Promise<ForwardAttempt> = ctx.network.request(primary, request, timeoutMs * FORWARD_TIMEOUT_FACTOR).then(
    (response) => ({ kind: 'answer', response }),
    (error: unknown) => ({ kind: 'failed', error })
  )
  const early = await within(ctx.clock, answer, timeoutMs)
  if (early !== undefined) return early
  const ping = pingForSilence(ctx, primary, timeoutMs * PING_TIMEOUT_FACTOR).then((silence) => ({ kind: 'ping' as const, silence }))
  const raced = await Promise.race([answer, ping])
  if (raced.kind !== 'ping') return raced
  if (raced.silence === undefined) return await answer
  void answer.then((late) => {
    if (late.kind !== 'answer') return
    ctx.log.info('a primary answered a forwarded put after it was given up on', { primary, key: request.key, response: late.response.type })
  })
  return { kind: 'failed', error: raced.silence }
}

/** undefined when `peer` answered a ping (any reply proves it alive), else the timeout error. */
async function pingForSilence (ctx: PeerContext, peer: PeerId, timeoutMs: number): Promise<unknown> {
  try {
    await ctx.network.request(peer, { type: 'ping' }, timeoutMs)
    ctx.detector.reportSuccess(peer)
    return undefined
  } catch (error) {
    // Only silence counts as silence: any other failure is no proof the primary is gone,
    // and giving up on a live one risks a second coordination of the same put.
    if (!isUnreachable(error)) {
      ctx.log.debug('ping failed without a timeout', { peer, error: describeError(error) })
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
