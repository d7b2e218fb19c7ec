import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import type { DvvSet, Sibling } from '../src/types.js'
import { clockEqual, context, emptyClock, sync, update } from '../src/versions.js'
import { clientContribution, isActorOf } from '../src/versions-client.js'

const TAB = 'tab'
const MEMBERS = ['a:0', 'b:0', 'b:1', 'c:0'] as const
const sib = (v: number | null, ts = 1): Sibling => ({ value: v === null ? null : Uint8Array.of(v), ts })

/** Every dotted value of a clock, `actor#counter` → value byte, read from the representation. */
function dots (clock: DvvSet, keep: (actor: string) => boolean = () => true): Map<string, number | null> {
  const out = new Map<string, number | null>()
  for (const e of clock.entries) {
    if (!keep(e.actor)) continue
    e.values.forEach((s, i) => out.set(`${e.actor}#${e.counter - i}`, s.value === null ? null : (s.value[0] ?? -1)))
  }
  return out
}
const counterOf = (clock: DvvSet, actor: string): number => clock.entries.find((e) => e.actor === actor)?.counter ?? 0

/** A replica's version built the way replicas build them: writes by members, some with contexts. */
const arbWrites = fc.array(fc.record({
  actor: fc.constantFrom(...MEMBERS),
  value: fc.option(fc.nat(255), { nil: null }),
  sawAll: fc.boolean()
}), { maxLength: 8 })

function replay (writes: ReadonlyArray<{ actor: string, value: number | null, sawAll: boolean }>, from: DvvSet = emptyClock()): DvvSet {
  let clock = from
  for (const w of writes) clock = update(clock, w.sawAll ? context(clock) : [], sib(w.value), w.actor)
  return clock
}

/** Anything a hostile client could send: any actors (its own and the members'), any counters and values. */
const arbForged: fc.Arbitrary<DvvSet> = fc.uniqueArray(fc.record({
  actor: fc.constantFrom(...MEMBERS, `${TAB}:0`, `${TAB}:7`, 'tabby:0'),
  values: fc.array(fc.option(fc.nat(255), { nil: null }), { maxLength: 3 }),
  extra: fc.oneof(fc.nat(4), fc.constant(2 ** 53 - 10))
}), { maxLength: 6, selector: (e) => e.actor }).map((raw) => ({
  entries: raw.map((e) => ({ actor: e.actor, counter: e.values.length + e.extra, values: e.values.map((v) => sib(v, 9)), ts: 9 }))
    .sort((x, y) => x.actor < y.actor ? -1 : x.actor > y.actor ? 1 : 0),
  anonymous: [sib(200)]
}))

describe('clientContribution', () => {
  it('tells a peer\'s actors from others', () => {
    expect(isActorOf('tab:0', 'tab')).toBe(true)
    expect(isActorOf('tabby:0', 'tab')).toBe(false)
    expect(isActorOf('tab:', 'tab')).toBe(false)
    expect(isActorOf('tab', 'tab')).toBe(false)
  })

  it('never adds a value under another actor, never raises its counter, never keeps anonymous values', () => {
    fc.assert(fc.property(arbWrites, arbForged, (writes, forged) => {
      const local = replay(writes)
      const contribution = clientContribution(forged, TAB, local)
      const merged = contribution === null ? local : sync(local, contribution)
      const others = (actor: string): boolean => !isActorOf(actor, TAB)
      const before = dots(local, others)
      for (const [dot, value] of dots(merged, others)) expect(before.get(dot)).toBe(value)
      for (const e of merged.entries) if (others(e.actor)) expect(e.counter).toBe(counterOf(local, e.actor))
      expect(merged.anonymous).toEqual(local.anonymous)
    }), { numRuns: 2000 })
  })

  it('contributes nothing unless the version holds a live value of the client\'s own', () => {
    fc.assert(fc.property(arbWrites, arbForged, (writes, forged) => {
      const local = replay(writes)
      const ownLive = forged.entries.some((e) => isActorOf(e.actor, TAB) && e.values.length > 0)
      expect(clientContribution(forged, TAB, local) !== null).toBe(ownLive)
    }), { numRuns: 1000 })
  })

  it('an honest write over what this replica holds merges exactly as a member\'s would', () => {
    fc.assert(fc.property(arbWrites, fc.option(fc.nat(255), { nil: null }), fc.boolean(), (writes, value, sawAll) => {
      const local = replay(writes)
      const written = update(local, sawAll ? context(local) : [], sib(value), `${TAB}:0`)
      const contribution = clientContribution(written, TAB, local)
      expect(contribution).not.toBeNull()
      expect(clockEqual(sync(local, contribution as DvvSet), sync(local, written))).toBe(true)
    }), { numRuns: 1000 })
  })

  it('a write read from a newer replica: a lagging one keeps what it cannot check, and the two converge to the honest merge', () => {
    fc.assert(fc.property(arbWrites, arbWrites, fc.option(fc.nat(255), { nil: null }), (older, later, value) => {
      const lagging = replay(older)
      const newer = replay(later, lagging)
      const written = update(newer, context(newer), sib(value), `${TAB}:0`)
      const atNewer = sync(newer, clientContribution(written, TAB, newer) as DvvSet)
      const atLagging = sync(lagging, clientContribution(written, TAB, lagging) as DvvSet)
      // Nothing the lagging replica never saw was taken on the client's word...
      for (const e of atLagging.entries) if (!isActorOf(e.actor, TAB)) expect(e.counter).toBe(counterOf(lagging, e.actor))
      // ...and once the replicas sync (anti-entropy), the write supersedes what it saw.
      expect(clockEqual(sync(atLagging, atNewer), sync(newer, written))).toBe(true)
    }), { numRuns: 1000 })
  })

  it('replicas given different values under one client dot (equivocation) still converge, in any merge order', () => {
    const arbValues = fc.array(fc.option(fc.nat(255), { nil: null }), { minLength: 1, maxLength: 3 })
    fc.assert(fc.property(arbWrites, arbValues, arbValues, arbValues, fc.nat(3), (writes, a, b, c, extra) => {
      const local = replay(writes)
      const version = (values: Array<number | null>): DvvSet => sync(local, clientContribution({
        entries: [{ actor: `${TAB}:0`, counter: values.length + extra, values: values.map((v) => sib(v, 3)), ts: 3 }],
        anonymous: []
      }, TAB, local) as DvvSet)
      const [x, y, z] = [version(a), version(b), version(c)]
      expect(clockEqual(sync(x, y), sync(y, x))).toBe(true)
      expect(clockEqual(sync(sync(x, y), z), sync(x, sync(y, z)))).toBe(true)
      expect(clockEqual(sync(x, x), x)).toBe(true)
    }), { numRuns: 1000 })
  })

  it('a poisoned counter for a member\'s actor is dropped, the client\'s value is kept', () => {
    const local = update(emptyClock(), [], sib(1), 'a:0')
    const forged: DvvSet = {
      entries: [
        { actor: 'a:0', counter: 2 ** 53 - 2, values: [], ts: 5 },
        { actor: `${TAB}:0`, counter: 1, values: [sib(2)], ts: 5 }
      ],
      anonymous: []
    }
    const merged = sync(local, clientContribution(forged, TAB, local) as DvvSet)
    expect(counterOf(merged, 'a:0')).toBe(1)
    expect([...dots(merged).entries()].sort()).toEqual([['a:0#1', 1], ['tab:0#1', 2]])
  })
})
