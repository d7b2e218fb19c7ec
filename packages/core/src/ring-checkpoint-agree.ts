/**
 * How members agree on a ring checkpoint (ring-checkpoint.ts), as pure rules over the member
 * table; the engine runs them (docs/design.md, "History that stays small").
 *
 * 1. A member proposes a cut (`proposedCut`): the latest ring event old enough that every
 *    member has long heard of it, when compacting there would drop enough records to be
 *    worth it.
 * 2. It advertises a checkpoint in its own record (MemberRecord.checkpoint: cut and hash)
 *    only after computing it from its own table; a cut another member advertises is
 *    taken up when its own table reproduces the same hash (`reproduce`), the latest
 *    such cut first, so the proposals converge (a member proposes only when it reproduces
 *    none; the earliest first deadlocked: one that adopted a checkpoint and proposed the
 *    next before the others noticed the agreement kept them on the old one for good).
 * 3. A checkpoint is agreed (`agreedCheckpoint`) when every active member of weight > 0
 *    advertises the same one. Only then may a member drop the records it makes compactable.
 *    A member that has not reproduced it (it lacks a record, or holds one more) advertises
 *    another or none, and the checkpoint waits for it; one that never adopts still holds
 *    every record, and the full fold over them is the checkpointed ring.
 */
import { checkpointHash } from './codec-checkpoint.js'
import { activeAt, ringCheckpoint } from './ring-checkpoint.js'
import type { RingCheckpoint } from './ring-checkpoint.js'
import type { CheckpointRef, MemberRecord } from './types.js'

/**
 * The cut to propose: the latest join or leave time at or before `now - settleMs` (and
 * after `from`'s cut), when at least `minDrop` records would be compactable there (their
 * member left before it); undefined otherwise.
 */
export function proposedCut (records: Iterable<MemberRecord>, now: number, settleMs: number, minDrop: number, from?: RingCheckpoint): number | undefined {
  const limit = now - settleMs
  const after = from?.cut ?? -1
  const list = [...records]
  let cut = -1
  for (const r of list) {
    for (const time of eventTimes(r)) if (time <= limit && time > after && time > cut) cut = time
  }
  if (cut < 0) return undefined
  const held = new Set(from?.members.map((m) => m.id) ?? [])
  let drop = 0
  for (const r of list) {
    if (!held.has(r.id) && activeAt(r, cut) === undefined && Math.max(...eventTimes(r)) <= cut) drop++
  }
  return drop >= minDrop ? cut : undefined
}

/** The checkpoint at `ref.cut` of these records (from `from`), if its hash is `ref.hash`; else undefined. */
export function reproduce (records: readonly MemberRecord[], q: number, ref: CheckpointRef, from?: RingCheckpoint): RingCheckpoint | undefined {
  if (from !== undefined && ref.cut < from.cut) return undefined
  const checkpoint = ringCheckpoint(records, q, ref.cut, from)
  return equalHashes(checkpointHash(checkpoint), ref.hash) ? checkpoint : undefined
}

/** What a member advertises for `checkpoint`. */
export function checkpointRef (checkpoint: RingCheckpoint): CheckpointRef {
  return { cut: checkpoint.cut, hash: checkpointHash(checkpoint) }
}

/**
 * The checkpoint every active member of weight > 0 advertises, when they all advertise the
 * same cut and hash; undefined otherwise (or with no such member).
 */
export function agreedCheckpoint (records: Iterable<MemberRecord>): CheckpointRef | undefined {
  let agreed: CheckpointRef | undefined
  for (const r of records) {
    if (r.status !== 'active' || r.weight === 0) continue
    const ref = r.checkpoint
    if (ref === undefined) return undefined
    if (agreed === undefined) agreed = ref
    else if (agreed.cut !== ref.cut || !equalHashes(agreed.hash, ref.hash)) return undefined
  }
  return agreed
}

function eventTimes (r: MemberRecord): number[] {
  const times = (r.stints ?? []).flatMap((s) => [s.joinedAt, Math.max(s.leftAt, s.joinedAt)])
  times.push(r.joinedAt)
  if (r.status !== 'active') times.push(Math.max(r.leftAt ?? r.joinedAt, r.joinedAt))
  return times
}

function equalHashes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
