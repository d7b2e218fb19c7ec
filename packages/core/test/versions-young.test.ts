/**
 * Truncation keeps young records (versions-prune.ts `truncate` with DEFAULT_TRUNCATION):
 * a value-less entry touched within `LIMITS.clockHorizonMs` of a clock's newest entry stays
 * while the clock holds at most `LIMITS.youngClockEntries` entries, so a replica that
 * lagged behind hundreds of writers still meets the record of what superseded its values.
 * And the context a reader gets (`clientContext`) stays within 64 entries meanwhile.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { DvvEntry, DvvSet, Sibling } from '../src/types.js'
import { LIMITS } from '../src/types.js'
import { DEFAULT_TRUNCATION, clientContext, context, countBound, emptyClock, siblings, sync, truncate, update, youngRecordsDropped } from '../src/versions.js'
import type { TruncationBounds } from '../src/versions.js'

const HOUR = 60 * 60 * 1000
const value = (name: string, ts: number): Sibling => ({ value: new TextEncoder().encode(name), ts })
const names = (c: DvvSet): string[] => siblings(c).map((s) => new TextDecoder().decode(s.value ?? new Uint8Array()))
/** What the replica store keeps (replica-store.ts `#normalize`) under `bounds`. */
const storedUnder = (bounds: TruncationBounds) => (c: DvvSet, own: string): DvvSet =>
  c.entries.length > bounds.entries ? truncate(c, bounds, [own]) : c
const stored = storedUnder(DEFAULT_TRUNCATION)
const bare = (actor: string, ts: number): DvvEntry => ({ actor, counter: 1, values: [], ts })
const held = (actor: string, ts: number): DvvEntry => ({ actor, counter: 1, values: [value(actor, ts)], ts })
const byActor = (entries: DvvEntry[]): DvvSet => ({ entries: [...entries].sort((a, b) => (a.actor < b.actor ? -1 : 1)), anonymous: [] })
const actors = (c: DvvSet): string[] => c.entries.map((e) => e.actor)

/** A lagging replica holds v0; `writers` new actors then supersede one another on the up-to-date replica, `gapMs` apart. */
function lagBehind (writers: number, gapMs: number, keep = stored): { up: DvvSet, lagging: DvvSet, ts: number } {
  let ts = 1_000
  let up = keep(update(emptyClock(), [], value('v0', ts), 'w0'), 'w0')
  const lagging = up
  for (let i = 1; i <= writers; i++) {
    ts += gapMs
    up = keep(update(up, context(up), value(`v${i}`, ts), `w${i}`), `w${i}`)
  }
  return { up, lagging, ts }
}

describe('truncation keeps young records', () => {
  it('200 writers within the horizon and one lagging replica: the superseded value never comes back', () => {
    const { up, lagging } = lagBehind(200, 1_000)
    expect(up.entries).toHaveLength(201)
    // Both ways, as anti-entropy does: v0 is superseded on both.
    expect(names(stored(sync(up, lagging), 'w200'))).toStrictEqual(['v200'])
    expect(names(stored(sync(lagging, up), 'w0'))).toStrictEqual(['v200'])
    // Under a plain 64-entry bound (before the horizon) the same history brings v0 back.
    const counted = lagBehind(200, 1_000, storedUnder(countBound(LIMITS.clockEntries)))
    expect(names(sync(counted.up, counted.lagging)).sort()).toStrictEqual(['v0', 'v200'])
  })

  it('drops young records only above the young bound, oldest first', () => {
    const writers = LIMITS.youngClockEntries + 44
    const { up, lagging } = lagBehind(writers, 1_000)
    expect(up.entries).toHaveLength(LIMITS.youngClockEntries)
    // The newest records stay: w0..w44 (the oldest) went.
    expect(actors(up)).not.toContain('w44')
    expect(actors(up)).toContain('w45')
    // So a replica lagging that far behind does see v0 again, as one extra sibling.
    expect(names(sync(up, lagging)).sort()).toStrictEqual(['v0', `v${writers}`])
  })

  it('drops records older than the horizon down to 64 entries', () => {
    // 100 writers an hour apart: the horizon (a week) spans the newest 168 hours, so all 100
    // are young; 300 writers an hour apart leave only the records of the last week young.
    expect(lagBehind(100, HOUR).up.entries).toHaveLength(101)
    const { up } = lagBehind(300, HOUR)
    const newest = Math.max(...up.entries.map((e) => e.ts))
    const young = up.entries.filter((e) => e.ts > newest - LIMITS.clockHorizonMs)
    expect(up.entries).toStrictEqual(young)
    expect(young.length).toBeGreaterThan(LIMITS.clockEntries)
    expect(young.length).toBeLessThanOrEqual(LIMITS.clockHorizonMs / HOUR + 1) // + the newest value's entry
    // With writers a week apart, every record but the newest is old: 64 entries remain.
    expect(lagBehind(100, LIMITS.clockHorizonMs).up.entries).toHaveLength(LIMITS.clockEntries)
  })

  it('measures age from the clock, not from the time it is truncated', () => {
    // Replicas truncate the same version at different times; they must keep the same
    // entries or they would disagree for good. truncate takes no time at all: the same
    // clock gives the same result, and an old clock keeps its young records.
    const clock = byActor(Array.from({ length: 100 }, (_, i) => bare(`a${String(i).padStart(3, '0')}`, 5 + i)))
    expect(truncate(clock, DEFAULT_TRUNCATION).entries).toHaveLength(100)
    // One entry touched a week after the rest makes them old.
    const later = byActor([...clock.entries, bare('z', 105 + LIMITS.clockHorizonMs)])
    expect(truncate(later, DEFAULT_TRUNCATION).entries).toHaveLength(LIMITS.clockEntries)
  })

  it('counts entries holding values too: a clock with as many values keeps no records', () => {
    // The bounds are on entries in all, as before the horizon: a key merged to hundreds of
    // siblings (coordinators cut off from each other) keeps its records only within them.
    const values = Array.from({ length: 250 }, (_, i) => held(`v${String(i).padStart(3, '0')}`, 10))
    const records = Array.from({ length: 20 }, (_, i) => bare(`r${String(i).padStart(3, '0')}`, 20 + i))
    const t = truncate(byActor([...values, ...records]), DEFAULT_TRUNCATION)
    expect(t.entries).toHaveLength(LIMITS.youngClockEntries)
    expect(t.entries.filter((e) => e.values.length === 0).map((e) => e.actor)).toStrictEqual(records.slice(-6).map((e) => e.actor))
    const full = Array.from({ length: LIMITS.storedSiblings }, (_, i) => held(`v${String(i).padStart(5, '0')}`, 10))
    expect(truncate(byActor([...full, ...records]), DEFAULT_TRUNCATION).entries).toHaveLength(LIMITS.storedSiblings)
  })

  it('never drops a value or a kept actor; stops at the bounds (property)', () => {
    const entry = fc.record({
      n: fc.integer({ min: 0, max: 399 }),
      ts: fc.integer({ min: 0, max: 2 * LIMITS.clockHorizonMs }),
      valued: fc.boolean()
    })
    fc.assert(fc.property(fc.uniqueArray(entry, { selector: (e) => e.n, maxLength: 400 }), fc.integer({ min: 0, max: 399 }), (specs, keepN) => {
      const clock = byActor(specs.map(({ n, ts, valued }) => (valued ? held : bare)(`a${String(n).padStart(3, '0')}`, ts)))
      const keep = `a${String(keepN).padStart(3, '0')}`
      const t = truncate(clock, DEFAULT_TRUNCATION, [keep])
      expect(siblings(t)).toStrictEqual(siblings(clock))
      if (actors(clock).includes(keep)) expect(actors(t)).toContain(keep)
      const gone = clock.entries.filter((e) => !actors(t).includes(e.actor))
      if (gone.length === 0) return
      // Something went: the result is within the young bound, or at 64 with only young records left.
      expect(t.entries.length).toBeGreaterThanOrEqual(LIMITS.clockEntries)
      const newest = Math.max(...clock.entries.map((e) => e.ts))
      const oldLeft = t.entries.some((e) => e.values.length === 0 && e.actor !== keep && e.ts <= newest - LIMITS.clockHorizonMs)
      if (t.entries.length > LIMITS.clockEntries) expect(oldLeft).toBe(false)
      expect(t.entries.length <= LIMITS.youngClockEntries || gone.every((e) => e.ts <= newest - LIMITS.clockHorizonMs)).toBe(true)
      // What went is never newer than a value-less entry that stayed (unless kept).
      const stayed = t.entries.filter((e) => e.values.length === 0 && e.actor !== keep)
      const oldestStayed = Math.min(...stayed.map((e) => e.ts))
      for (const e of gone) expect(e.ts).toBeLessThanOrEqual(oldestStayed)
    }), { numRuns: 300 })
  })

  it('youngRecordsDropped counts only the young records a truncation dropped', () => {
    // 10 old records (a week before the newest) and 300 young ones: the old go first, then
    // the oldest young ones down to the young bound.
    const old = Array.from({ length: 10 }, (_, i) => bare(`o${String(i).padStart(2, '0')}`, i))
    const young = Array.from({ length: 300 }, (_, i) => bare(`y${String(i).padStart(3, '0')}`, LIMITS.clockHorizonMs + 100 + i))
    const clock = byActor([...old, ...young])
    const t = truncate(clock, DEFAULT_TRUNCATION)
    expect(t.entries).toHaveLength(LIMITS.youngClockEntries)
    expect(youngRecordsDropped(clock, t, DEFAULT_TRUNCATION)).toBe(300 - LIMITS.youngClockEntries)
    expect(youngRecordsDropped(clock, clock, DEFAULT_TRUNCATION)).toBe(0)
  })

  it('a plain count bound truncates as before: the oldest value-less entries above it', () => {
    const clock = byActor(Array.from({ length: 70 }, (_, i) => (i % 7 === 0 ? held : bare)(`a${String(i).padStart(2, '0')}`, 1_000 - i)))
    const t = truncate(clock, countBound(64), ['a69'])
    // a69 (ts 931) is kept; the other six oldest value-less ones go: a68, a67, a66, a65, a64, a62.
    expect(actors(clock).filter((a) => !actors(t).includes(a))).toStrictEqual(['a62', 'a64', 'a65', 'a66', 'a67', 'a68'])
    expect(truncate(clock, 64, ['a69'])).toStrictEqual(t)
  })
})

describe('clientContext', () => {
  it('is the whole context up to 64 entries', () => {
    const { up } = lagBehind(40, 1_000)
    expect(clientContext(up)).toStrictEqual(context(up))
  })

  it('past 64 entries: every value held, then the most recently touched records, sorted by actor', () => {
    let { up } = lagBehind(200, 1_000)
    // Three concurrent writers without a context: four values in all.
    for (const w of ['x1', 'x2', 'x3']) up = stored(update(up, [], value(w, 1), w), w)
    const ctx = clientContext(up)
    expect(ctx).toHaveLength(LIMITS.clockEntries)
    const named = ctx.map(([a]) => a)
    expect(named).toStrictEqual([...named].sort())
    for (const a of ['x1', 'x2', 'x3', 'w200']) expect(named).toContain(a)
    // The 60 records beside them are the newest: w140..w199.
    expect(named.filter((a) => a.startsWith('w')).sort()).toStrictEqual(['w200', ...Array.from({ length: 60 }, (_, i) => `w${140 + i}`)].sort())
    // A write with it supersedes every value its reader saw.
    expect(names(update(up, ctx, value('merged', 300_000), 'y'))).toStrictEqual(['merged'])
  })

  it('a write through a lagging coordinator with a cut context: the replicas drop the superseded value on merge', () => {
    const { up, lagging } = lagBehind(200, 1_000)
    // The reader read the up-to-date replica; the coordinator lagged and still holds v0,
    // whose record (w0's value-less entry) the cut context no longer names.
    const ctx = clientContext(up)
    expect(ctx.map(([a]) => a)).not.toContain('w0')
    const written = stored(update(lagging, ctx, value('late', 500_000), 'c'), 'c')
    expect(names(written).sort()).toStrictEqual(['late', 'v0'])
    // The up-to-date replica holds the record and drops v0 when the write reaches it.
    expect(names(stored(sync(up, written), 'w200'))).toStrictEqual(['late'])
  })
})
