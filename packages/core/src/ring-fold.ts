/**
 * One step of the ring's fold per event (ring.ts, ring-checkpoint.ts): the member set, then
 * the owners' minimal-movement step (ring-assign.ts), then the ranks' (ring-ranks.ts).
 */
import { NO_OWNER } from './ring-assign.js'
import type { ActiveSet, FoldState, MemberTable, RingEvent } from './ring-assign.js'
import type { RankState } from './ring-ranks.js'

/** Folds events[from..] into state/ranks/active, calling `snapshot(count)` after each event. */
export function fold (state: FoldState, ranks: RankState, active: ActiveSet, table: MemberTable, events: readonly RingEvent[], from: number, snapshot?: (count: number) => void): void {
  for (let i = from; i < events.length; i++) {
    active.apply(events[i] as RingEvent, table)
    const previousOwners = state.owners.slice()
    state.rebalance(active.list)
    ranks.rebalance(previousOwners, state.owners, active.list)
    snapshot?.(i + 1)
  }
}

export function emptyOwners (q: number): Int32Array {
  return new Int32Array(q).fill(NO_OWNER)
}
