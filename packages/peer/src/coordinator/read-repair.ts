/**
 * Read repair (paper §4.5): after a get, every replica that answered with a stale or
 * missing version, or whose copy is corrupt, gets the merge of all replies. A fallback gets it as a hint for the
 * primary it stands in for, so the primary receives it on handoff. This peer's own replica
 * (a light peer's local copy, or a primary's) is merged in locally.
 */
import type { Key, PeerId, Placement } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { describeError } from '../errors.js'
import type { Logger } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import type { ReplicaAccess } from '../protocol/replica-access.js'
import type { GetState } from './get-core.js'
import { repairTargets } from './get-core.js'

export interface ReadRepairDeps {
  readonly id: PeerId
  readonly replicas: Pick<ReplicaStore, 'merge'>
  readonly access: Pick<ReplicaAccess, 'put' | 'repairsReplicas'>
  readonly log: Logger
  readonly metrics: Pick<PeerMetrics, 'readRepairs'>
}

/** Repairs every stale replica; never rejects. Resolves with the number of replicas repaired. */
export async function repairReplicas (ctx: ReadRepairDeps, key: Key, state: GetState, remote: readonly Placement[]): Promise<number> {
  const { merged, targets: planned } = repairTargets(state)
  // A client repairs only its own replica (ReplicaAccess.repairsReplicas).
  const targets = ctx.access.repairsReplicas ? planned : planned.filter((peer) => peer === ctx.id)
  if (merged === null || targets.length === 0) return 0
  const byPeer = new Map(remote.map((p) => [p.peer, p]))
  const results = await Promise.all(targets.map(async (peer) => {
    try {
      if (peer === ctx.id) await ctx.replicas.merge(key, merged)
      else await ctx.access.put(peer, key, merged, hintForOf(byPeer.get(peer)))
      ctx.metrics.readRepairs++
      return 1
    } catch (error) {
      ctx.log.debug('read repair failed', { peer, key, error: describeError(error) })
      return 0
    }
  }))
  return results.reduce<number>((a, b) => a + b, 0)
}

/** A fallback gets the repair as a hint for the primary it stands in for. */
function hintForOf (placement: Placement | undefined): PeerId | undefined {
  return placement?.role === 'fallback' ? placement.hintFor : undefined
}
