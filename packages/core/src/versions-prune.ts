/**
 * Ways to make a clock smaller: last-write-wins (fewer siblings) and truncation (fewer
 * entries). Both keep the result a valid DvvSet that syncs with untouched replicas.
 */
import type { DvvEntry, DvvSet, Sibling } from './types.js'
import { LIMITS } from './types.js'
import { compareActors, compareSiblings } from './versions-siblings.js'

/** Entries kept per clock before truncation drops old value-less entries (`LIMITS.clockEntries`). */
export const DEFAULT_MAX_CLOCK_ENTRIES = LIMITS.clockEntries

/**
 * When truncation drops value-less entries (see `truncate`). Every replica of a key must
 * use the same bounds: the result depends only on the clock and these, so replicas that
 * hold equal versions keep equal versions.
 */
export interface TruncationBounds {
  /** Entries kept before value-less entries older than the horizon go (`LIMITS.clockEntries`). */
  readonly entries: number
  /** Entries kept before young value-less entries go too (`LIMITS.youngClockEntries`). */
  readonly youngEntries: number
  /** A value-less entry is young while its ts is within this of the clock's newest ts (`LIMITS.clockHorizonMs`). */
  readonly horizonMs: number
}

/** The bounds every replica store and hint store uses. */
export const DEFAULT_TRUNCATION: TruncationBounds = {
  entries: LIMITS.clockEntries,
  youngEntries: LIMITS.youngClockEntries,
  horizonMs: LIMITS.clockHorizonMs
}

/** The latest ts of any entry of `clock` (-Infinity when it has none): the age of its records counts from it. */
function newestTs (clock: DvvSet): number {
  let newest = -Infinity
  for (const e of clock.entries) if (e.ts > newest) newest = e.ts
  return newest
}

/** Least recently touched first (ts, then actor): the order in which truncation drops value-less entries. */
function byTouched (x: DvvEntry, y: DvvEntry): number {
  return x.ts !== y.ts ? (x.ts < y.ts ? -1 : 1) : compareActors(x.actor, y.actor)
}

/** A plain count bound: no entry is young, so value-less entries go above `entries` whatever their age. */
export function countBound (entries: number): TruncationBounds {
  return { entries, youngEntries: entries, horizonMs: 0 }
}

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
 * Truncation policy (Dynamo §4.4, made safe for DVVSet; the young/old split is riak's
 * `young_vclock` / `big_vclock`). A clock with more than `bounds.entries` entries drops
 * entries that hold NO values, least recently touched first (entry ts, then actor):
 * - old ones (ts at least `horizonMs` before the clock's newest ts) until `entries` remain;
 * - young ones only while more than `youngEntries` remain.
 * It stops when no such entry is left (a clock with that many values keeps no records).
 * An entry that holds values is never dropped, and neither is any actor in `keep`, so:
 * - no value is ever removed: `siblings(truncate(c, b))` equals `siblings(c)`;
 * - the only cost is false concurrency: forgetting that actor A reached counter k means a
 *   replica still holding an old superseded value of A (dot ≤ k) brings it back as an
 *   extra sibling on sync, and a context from this clock no longer covers A's dots.
 * - so the young bound is what stops that: a value-less entry is the record that a write
 *   superseded A's values, and a replica that lagged (cut off, down, or a hint still
 *   waiting) drops them only if the record is still there when it merges. With 64 entries
 *   and no horizon, a key written by more than 64 coordinators (hundreds of members
 *   coordinate when primaries do not answer; every restart is a new epoch) forgot records
 *   within seconds: `--peers 300 --ops 10000 --clients 64` ended with 3,738 resurrected
 *   values, 13,362 violations; with the horizon, none. Riak prunes the same way and
 *   accepts the siblings; we keep young records up to a size bound instead.
 * - such a value is resurrected only transiently: the next write that supersedes it again
 *   stamps A's entry with its own time (versions.ts `discardCovered`), so that record is
 *   the last value-less entry dropped here, and it travels with that write's version to
 *   the replicas still holding the value, which then drop it too. Truncation never drops
 *   a value instead: it cannot tell a superseded value from an unseen concurrent one, and
 *   dropping the latter would lose an acknowledged write.
 * - the horizon counts from the clock's newest ts, not from now: two replicas truncating
 *   the same clock at different times must keep the same entries, or they would never
 *   agree again (anti-entropy would find them apart on every round).
 *
 * A number for `bounds` is `countBound(n)`: `n` entries whatever their age.
 *
 * Pass the local coordinator's own actor in `keep`: if its entry were dropped, its next
 * write would mint dot (actor, 1) again, reusing a dot that other replicas may still hold
 * for a different value (a lost update, not just an extra sibling).
 */
export function truncate(clock: DvvSet, bounds: number | TruncationBounds, keep: readonly string[] = []): DvvSet {
  const b = typeof bounds === 'number' ? countBound(bounds) : bounds
  for (const [name, n] of [['entries', b.entries], ['youngEntries', b.youngEntries], ['horizonMs', b.horizonMs]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`)
  }
  const total = clock.entries.length
  const unchanged = (): DvvSet => ({ entries: [...clock.entries], anonymous: [...clock.anonymous] })
  if (total <= b.entries) return unchanged()
  const kept = new Set(keep)
  const cutoff = newestTs(clock) - b.horizonMs
  const droppable: DvvEntry[] = []
  let old = 0
  for (const e of clock.entries) {
    if (e.values.length > 0 || kept.has(e.actor)) continue
    droppable.push(e)
    if (e.ts <= cutoff) old++
  }
  const count = Math.min(droppable.length, Math.max(Math.min(old, total - b.entries), total - Math.max(b.youngEntries, b.entries)))
  // A busy key's clock sits between the bounds with young records only: nothing to sort.
  if (count <= 0) return unchanged()
  // Oldest first (ts, then actor), so the old ones are a prefix.
  droppable.sort(byTouched)
  const dropped = new Set(droppable.slice(0, count).map((e) => e.actor))
  return { entries: clock.entries.filter((e) => !dropped.has(e.actor)), anonymous: [...clock.anonymous] }
}

/**
 * How many young records (value-less entries within `bounds.horizonMs` of `before`'s newest
 * entry) `truncate` dropped from `before` to give `after`: each is a supersession a replica
 * that lags may bring back as a sibling. The replica store counts them (its metrics'
 * `youngRecordsDropped`): a key that keeps passing the young bound says it has more writers
 * than its clock can remember.
 */
export function youngRecordsDropped(before: DvvSet, after: DvvSet, bounds: TruncationBounds): number {
  if (after.entries.length === before.entries.length) return 0
  const cutoff = newestTs(before) - bounds.horizonMs
  const kept = new Set(after.entries.map((e) => e.actor))
  return before.entries.filter((e) => !kept.has(e.actor) && e.ts > cutoff).length
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
 * client read at another replica, or truncated its entry long ago) recorded it with ts 0,
 * so its own truncation dropped the record in the same write, and the replicas holding the
 * value kept it beside the write that had seen it: `false-sibling` and
 * `superseded-survivor` at the end of long simulator runs. Such records now carry the
 * write's time (versions.ts `discardCovered`), so they are young; `keep` still guards the
 * write's own truncation when a clock is past the young bound too.
 */
export function coveredGrown(before: DvvSet | null, after: DvvSet): string[] {
  const held = new Map((before?.entries ?? []).map((e) => [e.actor, e.counter - e.values.length]))
  return after.entries.filter((e) => e.counter - e.values.length > (held.get(e.actor) ?? 0)).map((e) => e.actor)
}
