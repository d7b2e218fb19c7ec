/**
 * The rogue's forgeries (forge.ts) against core's clientContribution, and the checks the
 * checker adds for rogue runs (checkRogue, and the rogue's own writes in checkHistory).
 * The end-to-end runs are in sim.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { clientContribution, context, emptyClock, sync, update } from '@ringstore/core'
import type { DvvSet, VersionVector } from '@ringstore/core'
import { checkHistory, checkRogue } from '../src/checker.js'
import type { KeySnapshot, RogueEvidence } from '../src/checker.js'
import {
  FORGED_COUNTER_FLOOR, FORGERIES, ROGUE_ACTOR, ROGUE_ID, containsPlanted, effectiveContext, forge, isOwnValue, isPlanted, ownValue, ownWrite, plantedValue
} from '../src/forge.js'
import type { RogueWrite } from '../src/forge.js'
import { History, valueFor, writerOf } from '../src/history.js'
import type { OpRecord } from '../src/history.js'
import { Rng } from '../src/rng.js'

/** A put of `key` by `actor` on top of `base`, recorded as acknowledged. */
function put (h: History, base: DvvSet, key: string, actor: string, ctx: VersionVector | undefined): { op: OpRecord, clock: DvvSet } {
  const id = h.nextId()
  const op = h.invoke({ kind: 'put', key, client: 0, coordinator: actor.split(':')[0]!, invokedAt: id, context: ctx, value: valueFor(id), w: 2 })
  const clock = update(base, ctx ?? [], { value: valueFor(id), ts: id }, actor)
  h.succeed(op, id + 1, { dot: [actor, clock.entries.find((e) => e.actor === actor)!.counter], context: context(clock), acks: 2 })
  return { op, clock }
}

const snap = (key: string, ...clocks: Array<DvvSet | null>): KeySnapshot => ({ key, replicas: clocks.map((clock, i) => ({ peer: `p${i}`, clock })) })
const noEvidence: RogueEvidence = { answered: [], observed: [], stored: [], plantedOnDisk: [] }

/** Every value of a clock, anonymous ones included. */
const valuesOf = (clock: DvvSet | null): Array<Uint8Array | null> => clock === null ? [] : [...clock.entries.flatMap((e) => e.values.map((v) => v.value)), ...clock.anonymous.map((v) => v.value)]

/** A replica's version of a key two honest actors wrote: p0:1 twice (the second over the first), p1:1 once, concurrently. */
function honestReplica (): DvvSet {
  let c = update(emptyClock(), [], { value: valueFor(0), ts: 1 }, 'p0:1')
  c = update(c, context(c), { value: valueFor(1), ts: 2 }, 'p0:1')
  return update(c, [], { value: valueFor(2), ts: 3 }, 'p1:1')
}

describe('the rogue\'s values', () => {
  it('marks planted values so that no workload or own value looks like one, in a value or inside a record', () => {
    const planted = plantedValue(7)
    expect(isPlanted(planted)).toBe(true)
    expect(isPlanted(valueFor(7))).toBe(false)
    expect(isPlanted(ownValue(7))).toBe(false)
    expect(isPlanted(null)).toBe(false)
    expect(writerOf(planted)).toBeUndefined()
    expect(containsPlanted(Uint8Array.of(1, 2, ...planted, 3))).toBe(true)
    expect(containsPlanted(Uint8Array.of(1, 2, ...planted.subarray(0, 4), 3))).toBe(false)
    expect(isOwnValue(ownValue(3))).toBe(true)
    expect(isOwnValue(valueFor(3))).toBe(false)
  })
})

describe('forgeries against clientContribution', () => {
  const replica = honestReplica()
  const rng = Rng.fromSeed(5)
  let n = 0
  const planted = (): Uint8Array => plantedValue(n++)

  it('an honest write of its own supersedes what it read and mints its own next dot', () => {
    const own = ownWrite(replica, 3, { value: ownValue(1), ts: 9 })
    expect(own.entries.find((e) => e.actor === ROGUE_ACTOR)).toMatchObject({ counter: 3, values: [{ value: ownValue(1) }] })
    const merged = sync(replica, clientContribution(own, ROGUE_ID, replica)!)
    expect(valuesOf(merged)).toEqual([ownValue(1)])
    expect(effectiveContext(own, replica)).toEqual([['p0:1', 2], ['p1:1', 1], [ROGUE_ACTOR, 3]])
  })

  it.each(FORGERIES)('%s: nothing planted, no counter raised, no more superseded than effectiveContext says', (forgery) => {
    for (const withOwn of [true, false]) {
      const base = withOwn ? ownWrite(replica, 1, { value: ownValue(2), ts: 9 }) : { entries: replica.entries.map((e) => ({ ...e, values: [] })), anonymous: [] }
      const forged = forge(base, replica, forgery, rng, planted, [], 9)
      expect(valuesOf(forged).some(isPlanted) || forgery === 'poison' || forgery === 'erase').toBe(true)
      const contribution = clientContribution(forged, ROGUE_ID, replica)
      const merged = contribution === null ? replica : sync(replica, contribution)
      expect(valuesOf(merged).some(isPlanted)).toBe(false)
      for (const e of merged.entries) if (e.actor !== ROGUE_ACTOR) expect(e.counter).toBe(replica.entries.find((r) => r.actor === e.actor)!.counter)
      // Whatever honest value the merge dropped, the write's effective context covered it.
      const ctx = effectiveContext(forged, replica)
      expect(ctx === undefined).toBe(!withOwn)
      for (const e of replica.entries) {
        e.values.forEach((v, i) => {
          const kept = valuesOf(merged).some((m) => m !== null && v.value !== null && m.every((b, j) => b === v.value![j]) && m.length === v.value.length)
          if (!kept) expect(ctx?.some(([actor, counter]) => actor === e.actor && counter >= e.counter - i)).toBe(true)
        })
      }
    }
  })

  it('forged counters are far beyond anything a run mints, and poisoned ones near 2^53', () => {
    const erase = forge(emptyClock(), replica, 'erase', rng, planted, [], 1)
    const poison = forge(emptyClock(), replica, 'poison', rng, planted, [], 1)
    for (const e of erase.entries) expect(e.counter).toBeGreaterThanOrEqual(FORGED_COUNTER_FLOOR)
    for (const e of poison.entries) expect(e.counter).toBeGreaterThan(Number.MAX_SAFE_INTEGER - 10)
    // Nothing read: the lies are about the fallback actors.
    expect(forge(emptyClock(), null, 'erase', rng, planted, ['p3:1'], 1).entries.map((e) => e.actor)).toEqual(['p3:1'])
  })
})

describe('checkHistory with the rogue\'s own writes', () => {
  it('knows its values (no phantom) and lets them supersede what they claim to have read', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const over = ownWrite(a.clock, 1, { value: ownValue(0), ts: 5 })
    const merged = sync(a.clock, clientContribution(over, ROGUE_ID, a.clock)!)
    const write: RogueWrite = { key: 'k', dot: [ROGUE_ACTOR, 1], value: ownValue(0), context: effectiveContext(over, a.clock)! }
    expect(checkHistory(h.ops, [snap('k', merged, merged)], [write]).violations).toEqual([])
    // Without knowing that write: its value is a phantom and the put it superseded is lost.
    const kinds = checkHistory(h.ops, [snap('k', merged, merged)]).violations.map((v) => v.kind).sort()
    expect(kinds).toEqual(['lost-write', 'phantom-value', 'phantom-value'])
  })

  it('reports an erasure the rogue made without a value of its own as a lost write', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const erased: DvvSet = { entries: [{ actor: 'p0:1', counter: 1, values: [], ts: 0 }], anonymous: [] }
    const kinds = checkHistory(h.ops, [snap('k', erased, erased)], []).violations.map((v) => v.kind)
    expect(kinds).toEqual(['lost-write'])
    void a
  })

  it('reports planted values on replicas and in reads; the rogue\'s own values read are fine', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const plantedClock: DvvSet = { entries: [{ actor: 'p0:1', counter: 2, values: [{ value: plantedValue(1), ts: 2 }, a.clock.entries[0]!.values[0]!], ts: 2 }], anonymous: [{ value: plantedValue(2), ts: 1 }] }
    const read = h.invoke({ kind: 'get', key: 'k', client: 1, coordinator: 'p2', invokedAt: 9 })
    h.succeed(read, 10, { readValues: [undefined, undefined], readUnknown: [plantedValue(1), ownValue(4)] })
    const own: RogueWrite = { key: 'k', dot: [ROGUE_ACTOR, 1], value: ownValue(4), context: [] }
    const violations = checkHistory(h.ops, [snap('k', a.clock, plantedClock)], [own]).violations
    const planted = violations.filter((v) => v.kind === 'planted-value').map((v) => v.message)
    expect(planted).toHaveLength(3)
    expect(planted.join('\n')).toMatch(/get #1 of k at p2 returned the planted value planted#1/)
    expect(planted.join('\n')).toMatch(/anonymous sibling/)
    expect(violations.some((v) => v.kind === 'phantom-value')).toBe(false)
  })
})

describe('checkRogue', () => {
  const h = new History()
  const a = put(h, emptyClock(), 'k', 'p0:1', undefined)

  it('passes a run where every member-only request was refused and nothing forged got in', () => {
    expect(checkRogue(h.ops, [snap('k', a.clock, a.clock)], { ...noEvidence, stored: [{ peer: 'p4', key: 'k', clock: a.clock }] })).toEqual([])
  })

  it('reports a member-only request answered', () => {
    const violations = checkRogue(h.ops, [], { ...noEvidence, answered: [{ peer: 'p1', type: 'replica-get', reply: 'clock', at: 40 }] })
    expect(violations).toEqual([expect.objectContaining({ kind: 'rogue-answered', replicas: ['p1'] })])
  })

  it('reports an honest counter beyond what the writes of the key could mint, wherever it is seen', () => {
    const poisoned: DvvSet = { entries: [{ actor: 'p0:1', counter: 3, values: [], ts: 0 }, { actor: `${ROGUE_ID}:0`, counter: 99, values: [], ts: 0 }], anonymous: [] }
    const atBound: DvvSet = { entries: [{ actor: 'p0:1', counter: 2, values: [], ts: 0 }], anonymous: [] }
    expect(checkRogue(h.ops, [snap('k', atBound)], noEvidence)).toEqual([]) // one write may mint twice (a duplicated coordinate-put)
    const violations = checkRogue(h.ops, [snap('k', poisoned)], { ...noEvidence, observed: [{ peer: 'p3', key: 'k', clock: poisoned, at: 7 }] })
    expect(violations.map((v) => v.kind)).toEqual(['counter-bound', 'counter-bound'])
    expect(violations[1]?.message).toMatch(/p3 handed the rogue at t=7 k with p0:1:3/)
    // A key nobody wrote holds no honest dot at all.
    expect(checkRogue(h.ops, [snap('other', a.clock)], noEvidence).map((v) => v.kind)).toEqual(['counter-bound'])
  })

  it('reports planted values stored at the end, handed to the rogue, or on a disk', () => {
    const planted: DvvSet = { entries: [{ actor: 'p0:1', counter: 1, values: [{ value: plantedValue(3), ts: 1 }], ts: 1 }], anonymous: [] }
    const violations = checkRogue(h.ops, [], {
      ...noEvidence,
      stored: [{ peer: 'p4', key: 'k', clock: planted }],
      observed: [{ peer: 'p2', key: 'k', clock: planted, at: 3 }],
      plantedOnDisk: [{ peer: 'p1', namespace: 'hints', key: 'p2\u0000k' }]
    })
    expect(violations.map((v) => `${v.kind} ${v.replicas?.join()}`)).toEqual(['planted-value p4', 'planted-value p2', 'planted-value p1'])
  })
})
