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
 *
 * A kept entry that would have been dropped without `keep` is stamped with the newest ts
 * of the clock, so it is no longer among the oldest anywhere. Each replica keeps its own
 * actor, so without this the replicas of a key whose own entries are old and value-less
 * drop different entries and never agree: the one keeps its own entry and drops the next
 * oldest, the others drop its entry and keep that one, on every anti-entropy round for good
 * (`--peers 10 --seed 1 --ops 10000` of the simulator at d9575af with the discardCovered
 * rule: a key's three replicas differed by exactly that entry after every round). With the
 * stamp, the others take the newer ts on merge (versions.ts `mergeEntry`) and drop the same
 * entry as the keeper. The stamp is a time the clock already holds, so a quiescent key
 * converges: every kept entry ends at the same newest ts.
 */
export function truncate(clock: DvvSet, maxEntries: number, keep: readonly string[] = []): DvvSet {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) {
    throw new RangeError(`maxEntries must be a non-negative integer, got ${maxEntries}`)
  }
  const excess = clock.entries.length - maxEntries
  if (excess <= 0) return { entries: [...clock.entries], anonymous: [...clock.anonymous] }
  const oldestFirst = clock.entries
    .filter((e) => e.values.length === 0)
    .sort((x, y) => (x.ts !== y.ts ? (x.ts < y.ts ? -1 : 1) : compareActors(x.actor, y.actor)))
  const spared = new Set(oldestFirst.slice(0, excess).filter((e) => keep.includes(e.actor)).map((e) => e.actor))
  const dropped = new Set(oldestFirst.filter((e) => !keep.includes(e.actor)).slice(0, excess).map((e) => e.actor))
  const newest = clock.entries.reduce((max, e) => Math.max(max, e.ts), 0)
  const entries = clock.entries
    .filter((e) => !dropped.has(e.actor))
    .map((e) => (spared.has(e.actor) ? { ...e, ts: newest } : e))
  return { entries, anonymous: [...clock.anonymous] }
}
