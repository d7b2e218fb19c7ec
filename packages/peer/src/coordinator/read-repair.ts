/**
 * Read repair (paper §4.5): after a get, every replica that answered with a stale or
 * missing version gets the merge of all replies. A fallback gets it as a hint for the
 * primary it stands in for, so the primary receives it on handoff. This peer's own replica
 * (a light peer's local copy, or a primary's) is merged in locally.
 */
import type { DvvSet, Key, Placement } from '@ringstore/core'
import { describeError, isUnreachable } from '../protocol/rpc.js'
import type { PeerContext } from '../components.js'
import type { GetState } from './get-core.js'
import { repairPlan } from './get-core.js'

/** Repairs every stale replica; never rejects. Resolves with the number of replicas repaired. */
export async function repairReplicas (ctx: PeerContext, key: Key, state: GetState, remote: readonly Placement[]): Promise<number> {
  const { merged, targets } = repairPlan(state.replies)
  if (merged === null || targets.length === 0) return 0
  const byPeer = new Map(remote.map((p) => [p.peer, p]))
  const results = await Promise.all(targets.map(async (peer) => {
    try {
      if (peer === ctx.id) await ctx.replicas.merge(key, merged)
      else await sendRepair(ctx, byPeer.get(peer), peer, key, merged)
      ctx.metrics.readRepairs++
      return 1
    } catch (error) {
      if (isUnreachable(error)) ctx.detector.reportFailure(peer)
      ctx.log.debug('read repair failed', { peer, key, error: describeError(error) })
      return 0
    }
  }))
  return results.reduce<number>((a, b) => a + b, 0)
}

async function sendRepair (ctx: PeerContext, placement: Placement | undefined, peer: string, key: Key, clock: DvvSet): Promise<void> {
  const hintFor = placement?.role === 'fallback' ? placement.hintFor : undefined
  const request = hintFor === undefined
    ? { type: 'replica-put' as const, key, clock }
    : { type: 'replica-put' as const, key, clock, hintFor }
  const response = await ctx.network.request(peer, request, ctx.config.requestTimeoutMs)
  ctx.detector.reportSuccess(peer)
  if (response.type !== 'clock') throw new Error(`replica answered ${response.type} to a repair`)
}
