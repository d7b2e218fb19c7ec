/**
 * The consistent-hashing ring (paper §4.2, strategy 3 of §6.2): Q equal partitions of the
 * hash space, assigned to the active members in proportion to their weights.
 *
 * The assignment is the fold of a minimal-movement rebalance step over the join/leave
 * events implied by the membership records (ring-assign.ts). So it is a deterministic
 * function of the records (every peer computes the same ring, whatever the order it heard
 * them in), each member owns floor or ceil of its exact share q·w/W, and each step moves the
 * fewest partitions that balance allows: a member joining with the newest `joinedAt` takes
 * its share and nothing else moves; a leaver's partitions go and nothing else moves (both
 * checked by ring.test.ts over random weighted clusters). Given a checkpoint (the fold's
 * state at a cut, ring-checkpoint.ts), the fold starts there and needs only later events.
 *
 * @example
 * const builder = new RingBuilder(1024)
 * const ring = builder.update(records)          // same object back while events are unchanged
 * const replicas = preferenceList(ring, partitionOf('cart:42', ring.q), 3)
 */
import { RingInputError, partitionBits } from './hash.js'
import {
  ActiveSet, FoldState, MAX_RING_PARTITIONS, MemberTable, NO_OWNER, sameEvent
} from './ring-assign.js'
import type { RingEvent } from './ring-assign.js'
import { eventsAfter, startFold } from './ring-checkpoint.js'
import type { RingCheckpoint } from './ring-checkpoint.js'
import { emptyOwners, fold } from './ring-fold.js'
import { MemoRing } from './ring-preference.js'
import { RankState } from './ring-ranks.js'
import type { Ring } from './ring-preference.js'
import { LIMITS } from './types.js'
import type { MemberRecord, PeerId } from './types.js'

export type { Ring } from './ring-preference.js'
export { preferenceList, walkOrder, sloppyPreferenceList, replicaPartitions, replicaNeighbours } from './ring-preference.js'
export { MAX_RING_PARTITIONS, MAX_MEMBER_WEIGHT } from './ring-assign.js'
export { BALANCED_RANKS } from './ring-ranks.js'
export { ringCheckpoint, compactable, activeAt } from './ring-checkpoint.js'
export type { RingCheckpoint, CheckpointMember } from './ring-checkpoint.js'

/**
 * RingBuilder keeps the owner array every this many events, so that a late-arriving older
 * event refolds from the nearest snapshot instead of from scratch. 16 bounds both the
 * replay (≤ 16 rebalances) and the memory (events / 16 copies of q Int32s).
 */
const SNAPSHOT_STRIDE = 16

/**
 * The member table only grows (indices must stay stable for the snapshots); past this many
 * ids ever seen, the builder starts over. Twice LIMITS.members leaves room for churn.
 */
const MAX_TABLE_IDS = 2 * LIMITS.members

function checkRingSize (q: number): void {
  partitionBits(q)
  if (q > MAX_RING_PARTITIONS) throw new RingInputError(`partition count ${q} exceeds ${MAX_RING_PARTITIONS}`)
}

function toRing (q: number, owners: Int32Array, ranks: RankState, active: ActiveSet, table: MemberTable): Ring {
  const name = (index: number): PeerId | null => index === NO_OWNER ? null : table.id(index)
  const names = Array.from(owners, name)
  const copies = ranks.layers.map((layer) => layer.slice())
  const layers = (): Array<readonly (PeerId | null)[]> => copies.map((layer) => Object.freeze(Array.from(layer, name)))
  const members = new Map<PeerId, { weight: number, zone: string }>()
  for (const m of active.list) members.set(m.id, Object.freeze({ weight: m.weight, zone: m.zone }))
  return new MemoRing(q, names, members, layers)
}

/**
 * The ring of a membership table: the whole fold, or the fold after `checkpoint` when given
 * (ring-checkpoint.ts). Same result for any order of `records`.
 */
export function buildRing (records: readonly MemberRecord[], q: number, checkpoint?: RingCheckpoint): Ring {
  checkRingSize(q)
  const events = eventsAfter(records, checkpoint)
  const { table, state, ranks, active } = startFold(q, checkpoint)
  fold(state, ranks, active, table, events, 0)
  return toRing(q, state.owners, ranks, active, table)
}

interface Snapshot { readonly count: number, readonly owners: Int32Array, readonly ranks: RankState }

/**
 * buildRing, incrementally: remembers the events it applied and snapshots of the owner
 * array, refolds only from the first changed event, and returns the very same Ring object
 * while the events are unchanged (heartbeats and address changes make no new ring).
 */
export class RingBuilder {
  readonly q: number
  #table = new MemberTable()
  #events: readonly RingEvent[] = []
  #snapshots: Snapshot[] = []
  #state: FoldState
  #ranks: RankState
  #ring: Ring | undefined
  /** What the fold starts from: a checkpoint, or nothing (the empty ring). */
  #base: RingCheckpoint | undefined

  constructor (q: number) {
    checkRingSize(q)
    this.q = q
    this.#state = new FoldState(emptyOwners(q), this.#table)
    this.#ranks = RankState.empty(q)
    this.#reset()
  }

  /**
   * The ring of `records` (equal to `buildRing(records, q, checkpoint)`). Pass the same
   * checkpoint object while it holds: another one (even an equal one) restarts the fold from it.
   */
  update (records: readonly MemberRecord[], checkpoint?: RingCheckpoint): Ring {
    if (checkpoint !== this.#base) {
      this.#base = checkpoint
      this.#reset()
    }
    const events = eventsAfter(records, checkpoint)
    const common = commonPrefix(this.#events, events)
    if (this.#ring !== undefined && common === this.#events.length && common === events.length) return this.#ring
    if (this.#table.size > MAX_TABLE_IDS) this.#reset()
    const start = this.#restore(Math.min(common, this.#events.length))
    const active = this.#activeAt(events, start)
    fold(this.#state, this.#ranks, active, this.#table, events, start, (count) => {
      if (count % SNAPSHOT_STRIDE === 0) this.#snapshots.push({ count, owners: this.#state.owners.slice(), ranks: this.#ranks.copy() })
    })
    this.#events = events
    this.#ring = toRing(this.q, this.#state.owners, this.#ranks, active, this.#table)
    return this.#ring
  }

  /** The members active after the base and `count` of `events`. */
  #activeAt (events: readonly RingEvent[], count: number): ActiveSet {
    const active = new ActiveSet()
    for (const m of this.#base?.members ?? []) active.apply({ kind: 'join', time: 0, id: m.id, weight: m.weight, zone: m.zone }, this.#table)
    for (let i = 0; i < count; i++) active.apply(events[i] as RingEvent, this.#table)
    return active
  }

  /** Sets the fold state to the one after `common` events, or the nearest earlier snapshot; returns that event count. */
  #restore (common: number): number {
    this.#snapshots = this.#snapshots.filter((s) => s.count <= common)
    if (common === this.#events.length) return common // the current state is that state
    const snapshot = this.#snapshots[this.#snapshots.length - 1] as Snapshot // count 0 is always kept
    this.#state = new FoldState(snapshot.owners.slice(), this.#table)
    this.#ranks = snapshot.ranks.copy()
    return snapshot.count
  }

  #reset (): void {
    const start = startFold(this.q, this.#base)
    this.#table = start.table
    this.#events = []
    this.#state = start.state
    this.#ranks = start.ranks
    this.#snapshots = [{ count: 0, owners: start.state.owners.slice(), ranks: start.ranks.copy() }]
    this.#ring = undefined
  }
}

function commonPrefix (a: readonly RingEvent[], b: readonly RingEvent[]): number {
  const limit = Math.min(a.length, b.length)
  let i = 0
  while (i < limit && sameEvent(a[i] as RingEvent, b[i] as RingEvent)) i++
  return i
}

/** The partitions `peer` owns (is first in the preference list of). */
export function ownedPartitions (ring: Ring, peer: PeerId): number[] {
  const partitions: number[] = []
  ring.owners.forEach((owner, p) => { if (owner === peer) partitions.push(p) })
  return partitions
}

/**
 * True when no member owns a partition: every member is light (weight 0) or has left, or
 * none is known yet (a browser tab alone, or offline before it learnt the ring).
 */
export function hasNoOwners (ring: Ring): boolean {
  return ring.owners.every((owner) => owner === null)
}

/** Members (sorted by id) with their weight, zone and number of owned partitions: for status pages and logs. */
export function ringSummary (ring: Ring): { q: number, members: Array<{ id: PeerId, weight: number, zone: string, partitions: number }> } {
  const counts = new Map<PeerId, number>()
  for (const owner of ring.owners) if (owner !== null) counts.set(owner, (counts.get(owner) ?? 0) + 1)
  const ids = [...ring.members.keys()].sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  const members = ids.map((id) => {
    const { weight, zone } = ring.members.get(id) ?? { weight: 0, zone: '' }
    return { id, weight, zone, partitions: counts.get(id) ?? 0 }
  })
  return { q: ring.q, members }
}

/** How many partitions changed owner between two rings of the same q. */
export function countMoved (a: Ring, b: Ring): number {
  if (a.q !== b.q) throw new RingInputError(`cannot compare rings of ${a.q} and ${b.q} partitions`)
  let moved = 0
  for (let p = 0; p < a.q; p++) if ((a.owners[p] ?? null) !== (b.owners[p] ?? null)) moved++
  return moved
}
