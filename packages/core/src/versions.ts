/**
 * Dotted version vector sets: Riak's dvvset.erl (Preguiça, Baquero, Almeida et al.) over
 * the plain-data shapes of types.ts. One entry per coordinating actor; `values[i]` of an
 * entry is the sibling with dot `(actor, counter - i)`; dots at or below
 * `counter - values.length` are covered (seen and superseded). A write carrying the
 * context its reader got supersedes exactly the siblings that reader saw.
 *
 * All functions are pure: they return new objects and never mutate their inputs.
 * Inputs are assumed valid; data from outside goes through `validateClock` first.
 *
 * Correctness precondition for `update` (as in Riak): an actor id writes through ONE clock
 * lineage only — the coordinator applies `update(stored, ctx, v, itsOwnActor)` to the clock
 * it stores itself, which holds every earlier dot of that actor. Two places minting dots for
 * the same actor would reuse a dot for different values and lose one of them on sync.
 *
 * @example
 * let c = emptyClock()
 * c = update(c, [], { value: bytes('a'), ts: 1 }, 'p1:0')           // one sibling
 * c = update(c, [], { value: bytes('b'), ts: 2 }, 'p2:0')           // no context: 2 siblings
 * c = update(c, context(c), { value: bytes('ab'), ts: 3 }, 'p1:0')  // saw both: 1 sibling
 */
import type { DvvEntry, DvvSet, Sibling, VersionVector } from './types.js'
import { LIMITS } from './types.js'
import { canonicalSiblings, compareActors, compareSiblingLists, siblingListsEqual } from './versions-siblings.js'
import { descends } from './versions-vv.js'
import { CounterExhaustedError, InvalidClockError, validateContext } from './versions-validate.js'

export { descends, mergeContexts, compareContexts } from './versions-vv.js'
export { CounterExhaustedError, InvalidClockError, validateClock, validateContext } from './versions-validate.js'
export { countBound, coveredGrown, lww, truncate, youngRecordsDropped, DEFAULT_MAX_CLOCK_ENTRIES, DEFAULT_TRUNCATION } from './versions-prune.js'
export type { TruncationBounds } from './versions-prune.js'

/** The clock of a key that has never been written. */
export function emptyClock(): DvvSet {
  return { entries: [], anonymous: [] }
}

/** DVVSet join: the causal context of a clock, `[actor, counter]` sorted by actor. */
export function context(clock: DvvSet): VersionVector {
  return clock.entries.map((e) => [e.actor, e.counter] as const)
}

/**
 * The context handed to a reader or writer: the entry of every value the clock holds, and
 * the most recently touched value-less entries (ts, then actor), up to `max` entries in
 * all. A clock keeps up to `LIMITS.youngClockEntries` entries, the records of recent
 * supersessions (versions-prune.ts `truncate`); a context with all of them would be ~24 KB
 * in an HTTP header. A write still supersedes every value its reader saw, all named here.
 * What the cut can cost is one transient sibling: a value-less entry in a context repeats,
 * for a coordinator that lacks it, a supersession the replicas already record; without it
 * such a coordinator (one that lagged and still holds the superseded value) keeps that
 * value beside its write, and the replicas, which hold the record, drop it when they merge
 * the write (and anti-entropy then drops it at the coordinator).
 */
export function clientContext(clock: DvvSet, max: number = LIMITS.clockEntries): VersionVector {
  if (clock.entries.length <= max) return context(clock)
  const valueless = clock.entries
    .filter((e) => e.values.length === 0)
    .sort((x, y) => (x.ts !== y.ts ? (x.ts > y.ts ? -1 : 1) : compareActors(x.actor, y.actor)))
  const room = Math.max(0, max - (clock.entries.length - valueless.length))
  const cut = new Set(valueless.slice(room).map((e) => e.actor))
  return clock.entries.filter((e) => !cut.has(e.actor)).map((e) => [e.actor, e.counter] as const)
}

/**
 * DVVSet merge/5 for one actor known to both clocks. Take the values of the side with the
 * higher counter, minus those the other side already superseded (dots ≤ its
 * `counter - values.length`). The entry's ts follows its latest event: the ts of the side
 * with the higher counter, the larger one on a tie — a lexicographic max, so the merge
 * stays commutative, associative and idempotent.
 *
 * On a tie (same counter: the same dots) riak takes the first side's values, which are the
 * other side's too as long as a dot names one value. A client that gives two replicas two
 * values under one of its own dots (versions-client.ts takes a client's own entries whole)
 * breaks that, and first-side-wins would keep the replicas apart for good. So a tie takes
 * the lexicographically smaller value list (siblings in compareSiblings order): the result,
 * cut to the shorter list as merge/5 cuts it, is the smallest of both lists cut to the
 * shorter length, which is again commutative, associative and idempotent. Honest entries
 * with a tie hold equal values (one a prefix of the other), so their merge is unchanged.
 */
function mergeEntry(x: DvvEntry, y: DvvEntry): DvvEntry {
  const [hi, lo] = y.counter > x.counter || (y.counter === x.counter && compareSiblingLists(y.values, x.values) < 0) ? [y, x] : [x, y]
  const loCovered = lo.counter - lo.values.length
  const keep = Math.min(hi.values.length, hi.counter - loCovered)
  const ts = x.counter === y.counter ? Math.max(x.ts, y.ts) : hi.ts
  return { actor: hi.actor, counter: hi.counter, values: hi.values.slice(0, keep), ts }
}

/** Merge two actor-sorted entry lists (DVVSet sync2). */
function syncEntries(a: readonly DvvEntry[], b: readonly DvvEntry[]): DvvEntry[] {
  const out: DvvEntry[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a[i] as DvvEntry
    const y = b[j] as DvvEntry
    const order = compareActors(x.actor, y.actor)
    if (order <= 0) i++
    if (order >= 0) j++
    out.push(order < 0 ? x : order > 0 ? y : mergeEntry(x, y))
  }
  return out.concat(a.slice(i), b.slice(j))
}

/** DVVSet less/2: `a`'s context is strictly causally before `b`'s. */
export function clockLess(a: DvvSet, b: DvvSet): boolean {
  const ca = context(a)
  const cb = context(b)
  return descends(cb, ca) && !descends(ca, cb)
}

/**
 * DVVSet sync: merge two replicas of a key. Per actor, `mergeEntry` (dvvset.erl merge/5).
 * Anonymous values: those of the clock that is not strictly before the other, the union
 * when the clocks are concurrent or equal; kept in canonical order (ts, then bytes).
 *
 * Commutative and idempotent always; associative for clocks without anonymous values
 * (all the engine produces). With anonymous values DVVSet's rule itself is not
 * associative: a={p:1,[x]}, b={q:1,[y]}, c={p:1,q:1,[]} gives [x,y] for (a·b)·c but [] for
 * a·(b·c).
 */
export function sync(a: DvvSet, b: DvvSet): DvvSet {
  const entries = syncEntries(a.entries, b.entries)
  if (a.anonymous.length === 0 && b.anonymous.length === 0) return { entries, anonymous: [] }
  const anonymous = clockLess(a, b)
    ? b.anonymous
    : clockLess(b, a) ? a.anonymous : [...a.anonymous, ...b.anonymous]
  return { entries, anonymous: canonicalSiblings(anonymous) }
}

/** Merge any number of replicas (order does not matter). */
export function syncAll(clocks: readonly DvvSet[]): DvvSet {
  return clocks.reduce(sync, emptyClock())
}

/**
 * Drop the values covered by `ctx` (dot (a, c) with ctx[a] ≥ c) and raise every counter to
 * max(clock's, ctx's): DVVSet's sync of the server clock with the context-only clock.
 *
 * An entry that loses values here, or whose counter the context raises, or that only the
 * context names, now records a supersession: other replicas may still hold those values
 * until this version reaches them. Its ts becomes the write's (`now`), so truncation
 * (versions-prune.ts), which drops the least recently touched value-less entries first,
 * keeps this record longest. With the ts of the superseded value's own write instead, a
 * value truncation had brought back was superseded by an entry that was then the oldest,
 * and truncated at once: the value came back on every sync, for good. An actor known only
 * from the context used to get ts 0 (nothing here had touched it): the first entry any
 * later merge dropped once the clock held more than 64 entries, which with young records
 * is every merge of a busy key, often before the superseded value reached this replica.
 */
function discardCovered(entries: readonly DvvEntry[], ctx: VersionVector, now: number): DvvEntry[] {
  const out: DvvEntry[] = []
  let i = 0
  let j = 0
  while (i < entries.length || j < ctx.length) {
    const e = entries[i]
    const c = ctx[j]
    const order = e === undefined ? 1 : c === undefined ? -1 : compareActors(e.actor, c[0])
    if (order <= 0) i++
    if (order >= 0) j++
    if (order < 0 && e !== undefined) out.push(e)
    else if (order > 0 && c !== undefined) out.push({ actor: c[0], counter: c[1], values: [], ts: now })
    else if (e !== undefined && c !== undefined) {
      // values[k] has dot counter - k: it survives iff counter - k > ctx[a].
      const values = e.values.slice(0, Math.max(0, e.counter - c[1]))
      const ts = values.length < e.values.length || c[1] > e.counter ? Math.max(e.ts, now) : e.ts
      out.push({ actor: e.actor, counter: Math.max(e.counter, c[1]), values, ts })
    }
  }
  return out
}

/** DVVSet event/3: a new dot counter+1 for `actor`, `sibling` prepended to its values. */
function addEvent(entries: readonly DvvEntry[], actor: string, sibling: Sibling): DvvEntry[] {
  const at = entries.findIndex((e) => compareActors(e.actor, actor) >= 0)
  const current = at === -1 ? undefined : entries[at]
  if (current === undefined || current.actor !== actor) {
    const fresh: DvvEntry = { actor, counter: 1, values: [sibling], ts: sibling.ts }
    const cut = at === -1 ? entries.length : at
    return [...entries.slice(0, cut), fresh, ...entries.slice(cut)]
  }
  if (current.counter >= Number.MAX_SAFE_INTEGER) throw new CounterExhaustedError(actor)
  const next: DvvEntry = { actor, counter: current.counter + 1, values: [sibling, ...current.values], ts: sibling.ts }
  return entries.map((e, k) => (k === at ? next : e))
}

/**
 * The coordinator's write (DVVSet `update(new(ctx, sibling), clock, actor)`): siblings of
 * `clock` covered by `ctx` are discarded, the others stay as concurrent siblings, every
 * counter becomes max(clock's, ctx's), then `actor` mints dot counter+1 holding `sibling`.
 * An empty context is concurrent with everything and discards nothing.
 *
 * Anonymous values (DVVSet's rule): dropped iff `clock`'s context is strictly before `ctx`
 * (the writer saw more than this clock holds); kept when they are equal or concurrent, and
 * always kept for an empty context.
 *
 * Throws `InvalidClockError` for a malformed context or an empty actor.
 */
export function update(clock: DvvSet, ctx: VersionVector, sibling: Sibling, actor: string): DvvSet {
  validateContext(ctx)
  if (typeof actor !== 'string' || actor.length === 0) throw new InvalidClockError('actor must be a non-empty string')
  const entries = addEvent(discardCovered(clock.entries, ctx, sibling.ts), actor, sibling)
  const current = context(clock)
  const superseded = descends(ctx, current) && !descends(current, ctx)
  return { entries, anonymous: superseded ? [] : [...clock.anonymous] }
}

/** Every sibling: entries in actor order (newest first in each), then the anonymous ones. Tombstones included. */
export function siblings(clock: DvvSet): Sibling[] {
  return [...clock.entries.flatMap((e) => e.values), ...clock.anonymous]
}

/** The siblings that are not tombstones. */
export function liveSiblings(clock: DvvSet): Sibling[] {
  return siblings(clock).filter((s) => s.value !== null)
}

export function siblingCount(clock: DvvSet): number {
  return clock.entries.reduce((n, e) => n + e.values.length, clock.anonymous.length)
}

/** True iff the clock holds at least one sibling and every sibling is a tombstone (a delete). */
export function isTombstone(clock: DvvSet): boolean {
  const all = siblings(clock)
  return all.length > 0 && all.every((s) => s.value === null)
}

/** Structural equality: same entries (actor, counter, ts, values byte-wise) and anonymous values. */
export function clockEqual(a: DvvSet, b: DvvSet): boolean {
  if (a.entries.length !== b.entries.length) return false
  const sameEntries = a.entries.every((x, i) => {
    const y = b.entries[i] as DvvEntry
    return x.actor === y.actor && x.counter === y.counter && x.ts === y.ts && siblingListsEqual(x.values, y.values)
  })
  return sameEntries && siblingListsEqual(a.anonymous, b.anonymous)
}
