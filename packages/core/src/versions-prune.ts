/**
 * Ways to make a clock smaller: last-write-wins (fewer siblings) and truncation (fewer
 * entries). Both keep the result a valid DvvSet that syncs with untouched replicas.
 */
import type { DvvEntry, DvvSet, Sibling } from './types.js'
import { LIMITS } from './types.js'
import { compareActors, compareSiblings } from './versions-siblings.js'

/** Entries kept per clock before truncation; the wire/disk bound `LIMITS.clockEntries`. */
export const DEFAULT_MAX_CLOCK_ENTRIES = LIMITS.clockEntries

interface Candidate {
  readonly sibling: Sibling
  /** The rank timestamp (see `lww`). */
  readonly ts: number
  /** The entry holding it, or undefined for an anonymous value. */
  readonly entry: DvvEntry | undefined
}

/** Total order of LWW candidates: ts, then dotted over anonymous, then actor, then bytes. */
function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  if (a.entry === undefined || b.entry === undefined) {
    if (a.entry !== b.entry) return a.entry === undefined ? -1 : 1
    return compareSiblings(a.sibling, b.sibling)
  }
  return compareActors(a.entry.actor, b.entry.actor) || a.entry.counter - b.entry.counter
}

function candidates(clock: DvvSet): Candidate[] {
  const dotted = clock.entries.flatMap((entry): Candidate[] => {
    const head = entry.values[0]
    if (head === undefined) return []
    // The head is this actor's latest write in real time (one coordinator mints an actor's
    // dots in order), so it ranks at least as late as any older value of the same actor.
    const ts = entry.values.reduce((max, v) => Math.max(max, v.ts), head.ts)
    return [{ sibling: head, ts, entry }]
  })
  return [...dotted, ...clock.anonymous.map((sibling) => ({ sibling, ts: sibling.ts, entry: undefined }))]
}

/**
 * Last-write-wins: collapse to the single winning sibling, the maximum by (ts, actor, dot
 * counter); anonymous values lose ties against dotted ones and tie among themselves by
 * bytes. Within one actor a newer dot is treated as at least as late as its older values
 * even if its ts is smaller (the coordinator's clock stepped back): the actor wrote it
 * later. With per-actor non-decreasing timestamps this is exactly the max (ts, actor, dot).
 *
 * The result keeps every entry and counter, so `context(lww(c))` equals `context(c)` and
 * the winner keeps its own dot: the result supersedes everything it collapsed and syncs
 * with unpruned replicas without reviving the losers.
 *
 * LOSSY: concurrent writes other than the winner are discarded, whatever their content.
 */
export function lww(clock: DvvSet): DvvSet {
  const all = candidates(clock)
  if (all.length === 0) return { entries: [...clock.entries], anonymous: [] }
  const winner = all.reduce((best, c) => (compareCandidates(c, best) > 0 ? c : best))
  const entries = clock.entries.map((e): DvvEntry => ({ ...e, values: e === winner.entry ? [winner.sibling] : [] }))
  return { entries, anonymous: winner.entry === undefined ? [winner.sibling] : [] }
}

/**
 * Truncation policy (Dynamo §4.4, made safe for DVVSet). When the clock has more than
 * `maxEntries` entries, drop entries that hold NO values, least recently touched first
 * (entry ts, then actor), until the bound is met or no such entry is left. An entry that
 * holds values is never dropped, and neither is any actor in `keep`, so:
 * - no value is ever removed: `siblings(truncate(c, n))` equals `siblings(c)`;
 * - the bound holds whenever at most `maxEntries` entries hold values (or are kept);
 * - the only cost is false concurrency: forgetting that actor A reached counter k means a
 *   replica still holding an old superseded value of A (dot ≤ k) brings it back as an
 *   extra sibling on sync, and a context from this clock no longer covers A's dots.
 * - such a value is resurrected only transiently: the next write that supersedes it again
 *   stamps A's entry with its own time (versions.ts `discardCovered`), so that record is
 *   the last value-less entry dropped here, and it travels with that write's version to
 *   the replicas still holding the value, which then drop it too. Truncation never drops
 *   a value instead: it cannot tell a superseded value from an unseen concurrent one, and
 *   dropping the latter would lose an acknowledged write.
 *
 * Pass the local coordinator's own actor in `keep`: if its entry were dropped, its next
 * write would mint dot (actor, 1) again, reusing a dot that other replicas may still hold
 * for a different value (a lost update, not just an extra sibling).
 */
export function truncate(clock: DvvSet, maxEntries: number, keep: readonly string[] = []): DvvSet {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) {
    throw new RangeError(`maxEntries must be a non-negative integer, got ${maxEntries}`)
  }
  const excess = clock.entries.length - maxEntries
  if (excess <= 0) return { entries: [...clock.entries], anonymous: [...clock.anonymous] }
  const droppable = clock.entries
    .filter((e) => e.values.length === 0 && !keep.includes(e.actor))
    .sort((x, y) => (x.ts !== y.ts ? (x.ts < y.ts ? -1 : 1) : compareActors(x.actor, y.actor)))
  const dropped = new Set(droppable.slice(0, excess).map((e) => e.actor))
  return { entries: clock.entries.filter((e) => !dropped.has(e.actor)), anonymous: [...clock.anonymous] }
}

/**
 * The actors whose covered dots grew from `before` (a stored version, null: none) to
 * `after` (the same key after a write): entries whose `counter - values.length` rose, or
 * that `before` lacked. These entries record what the write's context superseded, which
 * other replicas may still hold. The writing store passes them in `keep` when it truncates
 * the write's version, so the record travels with it to the replicas (which drop the
 * superseded values when they merge it).
 *
 * Without that, a coordinator whose clock lacked the actor (it never held the value the
 * client read at another replica, or truncated its entry long ago) recorded it with ts 0
 * (versions.ts `discardCovered`: nothing here touched it), so its own truncation dropped
 * the record in the same write, and the replicas holding the value kept it beside the
 * write that had seen it: `false-sibling` and `superseded-survivor` at the end of long
 * simulator runs. Stamping such entries with the write's time instead keeps them longer
 * everywhere, but a stale context (a client that read long ago) then re-creates dozens of
 * long-truncated actors as the newest entries, which push out the real records of recent
 * supersessions on every replica: far more survivors, not fewer. Kept only in the write's
 * own truncation, they keep ts 0 and are the first dropped by any later merge.
 */
export function coveredGrown(before: DvvSet | null, after: DvvSet): string[] {
  const held = new Map((before?.entries ?? []).map((e) => [e.actor, e.counter - e.values.length]))
  return after.entries.filter((e) => e.counter - e.values.length > (held.get(e.actor) ?? 0)).map((e) => e.actor)
}
