import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import type { DvvSet, Sibling } from '../src/types.js'
import { decodeClock, encodeClock } from '../src/codec.js'
import { clockEqual, context, emptyClock, sync, syncAll, update, validateClock } from '../src/versions.js'
import { clockPartAfter, clockWireBytes, splitClock, valueBytes } from '../src/versions-split.js'

const ACTORS = ['a:0', 'b:0', 'b:1', 'c:0', 'd:3', 'é:0', 'f:9'] as const
const sib = (v: number | null, size: number, ts: number): Sibling => ({ value: v === null ? null : new Uint8Array(size).fill(v), ts })

/** Versions built the way replicas build them: writes by several actors, some with the writer's context. */
const arbWrites = fc.array(fc.record({
  actor: fc.constantFrom(...ACTORS),
  value: fc.option(fc.nat(255), { nil: null }),
  size: fc.nat(200),
  sawAll: fc.boolean()
}), { maxLength: 14 })

function replay (writes: ReadonlyArray<{ actor: string, value: number | null, size: number, sawAll: boolean }>): DvvSet {
  let clock = emptyClock()
  writes.forEach((w, i) => { clock = update(clock, w.sawAll ? context(clock) : [], sib(w.value, w.size, i), w.actor) })
  return clock
}

/**
 * Any valid clock, including two replicas that disagree on an actor's values at the same
 * counter (the same-counter tie-break of versions.ts mergeEntry) and anonymous values.
 */
const arbAny = (anonymous: boolean): fc.Arbitrary<DvvSet> => fc.record({
  entries: fc.uniqueArray(fc.record({
    actor: fc.constantFrom(...ACTORS),
    values: fc.array(fc.tuple(fc.option(fc.nat(3), { nil: null }), fc.nat(40)), { maxLength: 3 }),
    extra: fc.nat(3),
    ts: fc.nat(5)
  }), { maxLength: ACTORS.length, selector: (e) => e.actor }),
  anonymous: anonymous ? fc.array(fc.tuple(fc.nat(3), fc.nat(5)), { maxLength: 3 }) : fc.constant([])
}).map((raw) => {
  const entries = raw.entries.map((e) => ({
    actor: e.actor,
    counter: e.values.length + e.extra + (e.values.length === 0 && e.extra === 0 ? 1 : 0),
    values: e.values.map(([v, size]) => sib(v, size, 1)),
    ts: e.ts
  })).sort((x, y) => (x.actor < y.actor ? -1 : x.actor > y.actor ? 1 : 0))
  // Anonymous values: canonical (sorted by ts then bytes, unique), as the codec demands.
  const anon = new Map<string, Sibling>()
  for (const [v, ts] of raw.anonymous) anon.set(`${ts}/${v}`, sib(v, 1, ts))
  const sorted = [...anon.values()].sort((x, y) => x.ts - y.ts || (x.value?.[0] ?? 0) - (y.value?.[0] ?? 0))
  return { entries, anonymous: sorted }
})

const arbClock = fc.oneof(arbWrites.map(replay), arbAny(false))

describe('splitClock', () => {
  it('cuts into valid, actor-disjoint parts within the budget that hold every entry whole', () => {
    fc.assert(fc.property(fc.oneof(arbClock, arbAny(true)), fc.integer({ min: 1, max: 2000 }), (clock, maxBytes) => {
      const parts = splitClock(clock, maxBytes)
      const seen = new Set<string>()
      for (const part of parts) {
        validateClock(part)
        expect(decodeClock(encodeClock(part))).toEqual(part)
        // Over budget only when one entry alone is (with the anonymous values, in the first part).
        if (clockWireBytes(part) > maxBytes) expect(part.entries.length).toBeLessThanOrEqual(1)
        for (const e of part.entries) {
          expect(seen.has(e.actor)).toBe(false)
          seen.add(e.actor)
        }
      }
      expect(parts.flatMap((p) => p.entries)).toEqual(clock.entries)
      expect(parts.flatMap((p) => p.anonymous)).toEqual(clock.anonymous)
      // Reassembled from nothing, the parts are the whole, anonymous values included.
      expect(clockEqual(syncAll(parts), clock)).toBe(true)
    }), { numRuns: 1500 })
  })

  it('merging the parts one by one, in any order, equals merging the whole (no anonymous values)', () => {
    fc.assert(fc.property(arbClock, arbClock, fc.integer({ min: 1, max: 1500 }), fc.boolean(), (local, whole, maxBytes, reverse) => {
      const parts = splitClock(whole, maxBytes)
      const ordered = reverse ? [...parts].reverse() : parts
      const stepwise = ordered.reduce(sync, local)
      expect(clockEqual(stepwise, sync(local, whole))).toBe(true)
      // Either side of the merge: sync is commutative, so the receiver may be either.
      expect(clockEqual(ordered.reduce((acc, part) => sync(part, acc), local), sync(whole, local))).toBe(true)
    }), { numRuns: 3000 })
  })

  it('clockPartAfter: reading part after part with the cursor gives the whole, and the cursor always moves on', () => {
    fc.assert(fc.property(fc.oneof(arbClock, arbAny(true)), fc.integer({ min: 1, max: 1500 }), (clock, maxBytes) => {
      const parts: DvvSet[] = []
      let after = ''
      for (let i = 0; i <= clock.entries.length; i++) {
        const { part, next } = clockPartAfter(clock, after, maxBytes)
        parts.push(part)
        if (next === undefined) break
        expect(next > after).toBe(true)
        after = next
      }
      expect(parts).toEqual(splitClock(clock, maxBytes))
      expect(clockEqual(syncAll(parts), clock)).toBe(true)
    }), { numRuns: 1500 })
  })

  it('anonymous values: a part compared with the receiver on its own actors may drop one the whole keeps (why the equality excludes them)', () => {
    const one = (v: number): Sibling => ({ value: Uint8Array.of(v), ts: 1 })
    const whole: DvvSet = { entries: [{ actor: 'a', counter: 1, values: [one(1)], ts: 1 }, { actor: 'b', counter: 2, values: [one(2)], ts: 1 }], anonymous: [one(9)] }
    const local: DvvSet = { entries: [{ actor: 'a', counter: 1, values: [one(1)], ts: 1 }, { actor: 'b', counter: 1, values: [one(3)], ts: 1 }], anonymous: [] }
    const parts = splitClock(whole, 40)
    expect(parts.map((p) => p.entries.map((e) => e.actor))).toEqual([['a'], ['b']])
    // local is strictly before the whole: the whole's anonymous value stays. The first part
    // ({a:1}) is strictly before local: its anonymous value goes.
    expect(sync(local, whole).anonymous).toEqual([one(9)])
    expect(parts.reduce(sync, local).anonymous).toEqual([])
  })

  it('a clock that fits is its own single part', () => {
    const clock = replay([{ actor: 'a:0', value: 1, size: 10, sawAll: false }])
    expect(splitClock(clock, clockWireBytes(clock))).toEqual([clock])
  })

  it('clockWireBytes bounds the encoded size, valueBytes counts the values', () => {
    fc.assert(fc.property(fc.oneof(arbClock, arbAny(true)), (clock) => {
      expect(encodeClock(clock).byteLength).toBeLessThanOrEqual(clockWireBytes(clock))
      const values = [...clock.entries.flatMap((e) => e.values), ...clock.anonymous]
      expect(valueBytes(clock)).toBe(values.reduce((n, s) => n + (s.value?.byteLength ?? 0), 0))
    }), { numRuns: 500 })
  })
})
