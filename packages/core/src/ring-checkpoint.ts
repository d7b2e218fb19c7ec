/**
 * Ring checkpoints: the fold's state after every ring event up to a cut time (issue 13,
 * item 4). The ring is a fold over every join and leave ever made (ring-assign.ts), so its
 * cost, and the records a table must keep for it, grow with churn for ever. A checkpoint
 * holds what the fold had at the cut — the members active then (id, weight, zone), the owner
 * array and the rank layers — and the fold goes on from it over the later events only: a
 * record whose events all precede the cut, of a member not active at it (one that left
 * before), adds nothing and may be dropped (`compactable`).
 *
 * Folding from a checkpoint gives the very ring of the full fold when the records agree
 * with it (ring-checkpoint.test.ts). Where they do not — a record heard after the
 * checkpoint was made says a member was active at the cut, or not, or with another weight
 * or zone than the checkpoint holds — the difference is folded first, right after the cut:
 * the checkpoint's extra members leave, then the missing or changed ones join, each in id
 * order. So a checkpoint never loses a member, and every peer holding the same checkpoint
 * and the same records computes the same ring.
 *
 * Pure and deterministic; which checkpoint a cluster adopts, and when, is the engine's
 * (docs/design.md, "History that stays small").
 */
import { RingInputError } from './hash.js'
import { ActiveSet, FoldState, MemberTable, NO_OWNER, ringEvents } from './ring-assign.js'
import type { RingEvent } from './ring-assign.js'
import { emptyOwners, fold } from './ring-fold.js'
import { RankState } from './ring-ranks.js'
import type { MemberRecord, PeerId } from './types.js'

/** A member active at a checkpoint's cut, with the weight and zone the fold had for it. */
export interface CheckpointMember {
  readonly id: PeerId
  readonly weight: number
  readonly zone: string
}

export interface RingCheckpoint {
  readonly q: number
  /** Every ring event at or before this time is inside the checkpoint. */
  readonly cut: number
  /** The members active at the cut, sorted by id (UTF-16 code units). */
  readonly members: readonly CheckpointMember[]
  /** Per partition: its owner's position in `members`, or -1. */
  readonly owners: Int32Array
  /** Ranks 2..: per partition, the holder's position in `members`, or -1. */
  readonly ranks: readonly Int32Array[]
  /** The rank step's counters at the cut (ring-ranks.ts RankState). */
  readonly ranksInUse: number
  readonly zoneRanks: number
}

/** The fold's state, ready to go on: from a checkpoint, or empty. */
export interface FoldStart {
  readonly table: MemberTable
  readonly state: FoldState
  readonly ranks: RankState
  readonly active: ActiveSet
}

export function startFold (q: number, checkpoint?: RingCheckpoint): FoldStart {
  const table = new MemberTable()
  const active = new ActiveSet()
  if (checkpoint === undefined) return { table, state: new FoldState(emptyOwners(q), table), ranks: RankState.empty(q), active }
  if (checkpoint.q !== q) throw new RingInputError(`a checkpoint of ${checkpoint.q} partitions cannot start a ring of ${q}`)
  const indices = checkpoint.members.map((m) => {
    active.apply({ kind: 'join', time: checkpoint.cut, id: m.id, weight: m.weight, zone: m.zone }, table)
    return table.indexOf(m.id)
  })
  const toIndex = (position: number): number => position === NO_OWNER ? NO_OWNER : indices[position] ?? NO_OWNER
  const state = new FoldState(checkpoint.owners.map(toIndex), table)
  const ranks = new RankState(checkpoint.ranks.map((layer) => layer.map(toIndex)), checkpoint.ranksInUse, checkpoint.zoneRanks)
  return { table, state, ranks, active }
}

/**
 * The events to fold after `checkpoint` (all of them without one): the differences
 * between the checkpoint and what the records say of the cut (leaves, then joins), then
 * every event after the cut, in canonical order.
 */
export function eventsAfter (records: readonly MemberRecord[], checkpoint?: RingCheckpoint): RingEvent[] {
  const events = ringEvents(records)
  if (checkpoint === undefined) return events
  const { cut } = checkpoint
  const held = new Map(checkpoint.members.map((m) => [m.id, m]))
  const leaves: RingEvent[] = []
  const joins: RingEvent[] = []
  for (const record of [...records].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) {
    const then = activeAt(record, cut)
    const had = held.get(record.id)
    const same = had !== undefined && then !== undefined && had.weight === then.weight && had.zone === then.zone
    if (same) continue
    if (had !== undefined) leaves.push({ kind: 'leave', time: cut, id: record.id, weight: 0, zone: '' })
    if (then !== undefined) joins.push({ kind: 'join', time: cut, id: record.id, weight: then.weight, zone: String(then.zone) })
  }
  return [...leaves, ...joins, ...events.filter((e) => e.time > cut)]
}

/**
 * The checkpoint at `cut` of these records' fold (from an earlier checkpoint `from`, whose
 * dropped records it no longer needs). `cut` must not precede `from`'s.
 */
export function ringCheckpoint (records: readonly MemberRecord[], q: number, cut: number, from?: RingCheckpoint): RingCheckpoint {
  if (from !== undefined && cut < from.cut) throw new RingInputError(`a checkpoint at ${cut} cannot follow one at ${from.cut}`)
  const { table, state, ranks, active } = startFold(q, from)
  const events = eventsAfter(records, from).filter((e) => e.time <= cut)
  fold(state, ranks, active, table, events, 0)
  const position = new Map(active.list.map((m, i) => [m.index, i]))
  const toPosition = (index: number): number => {
    if (index === NO_OWNER) return NO_OWNER
    const at = position.get(index)
    // The steps free every slot of a member that left: a holder is always active.
    if (at === undefined) throw new RingInputError(`the fold left a slot with ${table.id(index)}, who is not active`)
    return at
  }
  return {
    q,
    cut,
    members: active.list.map((m) => Object.freeze({ id: m.id, weight: m.weight, zone: m.zone })),
    owners: state.owners.map(toPosition),
    ranks: ranks.layers.map((layer) => layer.map(toPosition)),
    ...ranks.counters
  }
}

/**
 * Whether `record` adds nothing to the fold after `checkpoint`: every event of it is at or
 * before the cut, and its member was not active at the cut (it left before) nor is in the
 * checkpoint. A table may drop it; the ring stays the same.
 */
export function compactable (record: MemberRecord, checkpoint: RingCheckpoint): boolean {
  if (activeAt(record, checkpoint.cut) !== undefined) return false
  if (checkpoint.members.some((m) => m.id === record.id)) return false
  return lastEventTime(record) <= checkpoint.cut
}

/**
 * The weight and zone the record says its member had at `time`, or undefined when it was
 * not active then: its last event at or before `time` is a join. Events at one time fold
 * joins first, so a stint joined and left at `time` is over.
 */
export function activeAt (record: MemberRecord, time: number): { readonly weight: number, readonly zone: string } | undefined {
  for (const stint of record.stints ?? []) {
    if (stint.joinedAt <= time && Math.max(stint.leftAt, stint.joinedAt) > time) return { weight: stint.weight, zone: stint.zone }
  }
  if (record.joinedAt > time) return undefined
  if (record.status === 'active') return { weight: record.weight, zone: record.zone }
  return Math.max(record.leftAt ?? record.joinedAt, record.joinedAt) > time ? { weight: record.weight, zone: record.zone } : undefined
}

function lastEventTime (record: MemberRecord): number {
  return record.status === 'active' ? record.joinedAt : Math.max(record.leftAt ?? record.joinedAt, record.joinedAt)
}
