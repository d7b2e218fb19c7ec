/**
 * The decisions of a get, without I/O (riak_kv_get_core style): when R replicas have
 * answered, when R can no longer be reached, what the reconciled answer is, and which
 * replicas read repair must update. get.ts only sends messages and asks.
 */
import { clockEqual, context, liveSiblings, siblings, syncAll } from '@ringstore/core'
import type { DvvSet, PeerId, Sibling, VersionVector } from '@ringstore/core'

export interface GetState {
  readonly r: number
  /** Every peer asked (this peer included when it reads its own replica). */
  readonly asked: readonly PeerId[]
  readonly replies: ReadonlyMap<PeerId, DvvSet | null>
  readonly failed: ReadonlySet<PeerId>
}

export type GetVerdict =
  | { readonly kind: 'wait' }
  | { readonly kind: 'ok', readonly replies: number }
  | { readonly kind: 'fail', readonly replies: number, readonly required: number }

export function initGet (r: number, asked: readonly PeerId[]): GetState {
  return { r, asked: [...new Set(asked)], replies: new Map(), failed: new Set() }
}

/** A reply (null = the replica has no version). Late or duplicate answers are ignored. */
export function addReply (state: GetState, peer: PeerId, clock: DvvSet | null): GetState {
  if (!state.asked.includes(peer) || state.replies.has(peer) || state.failed.has(peer)) return state
  return { ...state, replies: new Map(state.replies).set(peer, clock) }
}

export function addFailure (state: GetState, peer: PeerId): GetState {
  if (!state.asked.includes(peer) || state.replies.has(peer) || state.failed.has(peer)) return state
  return { ...state, failed: new Set(state.failed).add(peer) }
}

export function outstanding (state: GetState): number {
  return state.asked.length - state.replies.size - state.failed.size
}

export function getVerdict (state: GetState): GetVerdict {
  const replies = state.replies.size
  if (replies >= state.r) return { kind: 'ok', replies }
  if (replies + outstanding(state) < state.r) return { kind: 'fail', replies, required: state.r }
  return { kind: 'wait' }
}

/** The reconciled version of every reply so far (DVV sync), null when no replica has one. */
export function mergeReplies (state: GetState): DvvSet | null {
  const clocks = [...state.replies.values()].filter((c): c is DvvSet => c !== null)
  return clocks.length === 0 ? null : syncAll(clocks)
}

export interface ReadAnswer {
  readonly found: boolean
  readonly values: Uint8Array[]
  readonly siblings: Sibling[]
  readonly context: VersionVector
  readonly clock: DvvSet | null
}

/** What the caller sees for a merged version (tombstones hidden from `values`). */
export function readAnswer (merged: DvvSet | null): ReadAnswer {
  if (merged === null) return { found: false, values: [], siblings: [], context: [], clock: null }
  const live = liveSiblings(merged)
  return {
    found: live.length > 0,
    values: live.map((s) => s.value as Uint8Array),
    siblings: siblings(merged),
    context: context(merged),
    clock: merged
  }
}

/**
 * The read-repair decision for the replies so far: the merged version and the replicas
 * that answered something else (each gets the merge). The common case (every replica
 * holds the same version) is settled by comparing the replies with the first one, without
 * the DVV merge and without comparing each reply against it again: sync is idempotent, so
 * the merge of equal clocks is that clock and nobody is stale.
 */
export function repairPlan (replies: ReadonlyMap<PeerId, DvvSet | null>): { readonly merged: DvvSet | null, readonly targets: PeerId[] } {
  let first: DvvSet | null = null
  let allEqual = true
  for (const clock of replies.values()) {
    if (clock === null) allEqual = false
    else if (first === null) first = clock
    else if (allEqual && !clockEqual(clock, first)) allEqual = false
    if (!allEqual && first !== null) break
  }
  if (first === null) return { merged: null, targets: [] }
  if (allEqual) return { merged: first, targets: [] }
  const merged = syncAll([...replies.values()].filter((c): c is DvvSet => c !== null))
  return { merged, targets: readRepairTargets(replies, merged) }
}

/**
 * Replicas that answered with something other than the final merge: each gets the merged
 * version (read repair). Peers that failed are left to hints and anti-entropy.
 */
export function readRepairTargets (replies: ReadonlyMap<PeerId, DvvSet | null>, merged: DvvSet | null): PeerId[] {
  if (merged === null) return []
  const stale: PeerId[] = []
  for (const [peer, clock] of replies) if (clock === null || !clockEqual(clock, merged)) stale.push(peer)
  return stale
}
