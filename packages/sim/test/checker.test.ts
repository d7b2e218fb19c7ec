import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_CLOCK_ENTRIES, context, coveredGrown, emptyClock, sync, truncate, update } from '@ringstore/core'
import type { DvvSet, VersionVector } from '@ringstore/core'
import { checkHistory, describeClock, dottedSiblings, refusedAtSiblingCap } from '../src/checker.js'
import type { KeySnapshot } from '../src/checker.js'
import { History, valueFor, writerOf } from '../src/history.js'
import type { OpRecord } from '../src/history.js'

/** A put of `key` by `actor` on top of `base`, recorded as acknowledged. */
function put (h: History, base: DvvSet, key: string, actor: string, ctx: VersionVector | undefined, w = 2): { op: OpRecord, clock: DvvSet } {
  const id = h.nextId()
  const op = h.invoke({ kind: 'put', key, client: 0, coordinator: actor.split(':')[0]!, invokedAt: id, context: ctx, value: valueFor(id), w })
  const clock = update(base, ctx ?? [], { value: valueFor(id), ts: id }, actor)
  const dot = dottedSiblings(clock).find((s) => s.sibling.value !== null && writerOf(s.sibling.value) === id)!.dot
  h.succeed(op, id + 1, { dot, context: context(clock), acks: w })
  return { op, clock }
}

function del (h: History, base: DvvSet, key: string, actor: string, ctx: VersionVector): { op: OpRecord, clock: DvvSet } {
  const id = h.nextId()
  const op = h.invoke({ kind: 'delete', key, client: 0, coordinator: 'p0', invokedAt: id, context: ctx, w: 2 })
  const clock = update(base, ctx, { value: null, ts: id }, actor)
  h.succeed(op, id + 1, { dot: [actor, clock.entries.find((e) => e.actor === actor)!.counter], context: context(clock), acks: 2 })
  return { op, clock }
}

const snap = (key: string, ...clocks: Array<DvvSet | null>): KeySnapshot => ({ key, replicas: clocks.map((clock, i) => ({ peer: `p${i}`, clock })) })

describe('checkHistory', () => {
  it('passes a clean history: concurrent siblings, a superseding write', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const b = put(h, a.clock, 'k', 'p1:1', undefined) // blind: concurrent with a
    const c = put(h, b.clock, 'k', 'p0:1', context(b.clock)) // saw both: supersedes them
    const d = put(h, c.clock, 'k', 'p2:1', undefined)
    const result = checkHistory(h.ops, [snap('k', d.clock, d.clock, d.clock)])
    expect(result.violations).toEqual([])
    expect(result.lost).toBe(0)
    expect(result.siblingHistogram).toEqual({ 2: 1 })
    // Actors p0:1, p1:1, p2:1; a replica with a shorter clock does not lower the maximum.
    expect(result.maxClockEntries).toBe(3)
    expect(checkHistory(h.ops, [snap('k', d.clock, a.clock)]).maxClockEntries).toBe(3)
  })

  it('catches a replica that dropped an acknowledged dot', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const b = put(h, a.clock, 'k', 'p1:1', undefined)
    const withoutB = a.clock
    const result = checkHistory(h.ops, [snap('k', b.clock, withoutB, b.clock)])
    const lost = result.violations.filter((v) => v.kind === 'lost-write')
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatchObject({ key: 'k', dots: ['p1:1#1'], replicas: ['p1'], ops: [b.op.id] })
    expect(result.lost).toBe(1)
    expect(result.violations.some((v) => v.kind === 'divergent')).toBe(true)
  })

  it('does not accept a dot as superseded when nobody had seen it', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    // A buggy merge that marks a's dot covered (counter kept) but drops its value.
    const dropped: DvvSet = { entries: [{ actor: 'p0:1', counter: 1, values: [], ts: 0 }], anonymous: [] }
    const result = checkHistory(h.ops, [snap('k', dropped, dropped, dropped)])
    expect(result.lost).toBe(1)
    expect(result.violations[0]?.message).toMatch(/acknowledged put #0 of k/)
    void a
  })

  it('counts a superseded write whose actor a full clock truncated apart from lost writes, and only that', () => {
    // Value-less entries of other actors (restarted peers' old epochs), newer than a's.
    const filler = (clock: DvvSet): DvvSet => ({
      entries: [...clock.entries, ...Array.from({ length: DEFAULT_MAX_CLOCK_ENTRIES }, (_, i) => ({ actor: `f${String(i).padStart(2, '0')}:1`, counter: 1, values: [], ts: 1000 + i }))]
        .sort((x, y) => x.actor < y.actor ? -1 : 1),
      anonymous: []
    })
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const b = put(h, a.clock, 'k', 'p1:1', context(a.clock)) // supersedes a: a's entry is value-less
    const full = truncate(filler(b.clock), DEFAULT_MAX_CLOCK_ENTRIES, ['p1:1'])
    expect(full.entries.some((e) => e.actor === 'p0:1')).toBe(false) // truncation dropped a's actor
    const ok = checkHistory(h.ops, [snap('k', full, full)])
    expect(ok.violations).toEqual([])
    expect(ok).toMatchObject({ lost: 0, truncated: 1 })

    // The same forgotten actor on a clock below the bound is no truncation: a is lost there.
    const short: DvvSet = { entries: b.clock.entries.filter((e) => e.actor !== 'p0:1'), anonymous: [] }
    expect(checkHistory(h.ops, [snap('k', short, short)])).toMatchObject({ lost: 1, truncated: 0 })

    // Nobody superseded c: a full clock without c's actor lost it (truncation keeps values).
    const h2 = new History()
    const c = put(h2, emptyClock(), 'k', 'p0:1', undefined)
    const lostC: DvvSet = { entries: filler(emptyClock()).entries.slice(0, DEFAULT_MAX_CLOCK_ENTRIES), anonymous: [] }
    const result = checkHistory(h2.ops, [snap('k', lostC, lostC)])
    expect(result).toMatchObject({ lost: 1, truncated: 0 })
    expect(result.violations[0]).toMatchObject({ kind: 'lost-write', ops: [c.op.id] })
  })

  it('counts a superseded write as truncated when an older context re-created its actor below it after truncation', () => {
    // As traced in a long run: a0 then a1 by p0:1, superseded by b; a full clock truncates
    // p0:1's value-less entry; a client that read before a1 (context p0:1 at 1) writes: the
    // write records p0:1 at 1 again. a1 is neither held nor covered there.
    const filler = (clock: DvvSet): DvvSet => ({
      entries: [...clock.entries, ...Array.from({ length: DEFAULT_MAX_CLOCK_ENTRIES }, (_, i) => ({ actor: `f${String(i).padStart(2, '0')}:1`, counter: 1, values: [], ts: 1000 + i }))]
        .sort((x, y) => x.actor < y.actor ? -1 : 1),
      anonymous: []
    })
    const h = new History()
    const a0 = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const staleRead = context(a0.clock) // [p0:1, 1]
    const a1 = put(h, a0.clock, 'k', 'p0:1', context(a0.clock))
    const b = put(h, a1.clock, 'k', 'p1:1', context(a1.clock)) // supersedes a1
    const full = truncate(filler(b.clock), DEFAULT_MAX_CLOCK_ENTRIES, ['p1:1'])
    expect(full.entries.some((e) => e.actor === 'p0:1')).toBe(false)
    const late = put(h, full, 'k', 'p2:1', [...staleRead, ...context(full)].sort((x, y) => x[0] < y[0] ? -1 : 1))
    // The writing store keeps what the write newly covered (peer replica-store.ts).
    const stored = truncate(late.clock, DEFAULT_MAX_CLOCK_ENTRIES, ['p2:1', ...coveredGrown(full, late.clock)])
    expect(stored.entries.find((e) => e.actor === 'p0:1')?.counter).toBe(1) // re-created below a1
    const result = checkHistory(h.ops, [snap('k', stored, stored)])
    expect(result.violations.filter((v) => v.kind === 'lost-write')).toEqual([])
    expect(result).toMatchObject({ lost: 0, truncated: 1 }) // a1; a0 is covered by the re-created entry
  })

  it('catches a resurrected value after an acknowledged delete', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'cart', 'p0:1', undefined)
    const d = del(h, a.clock, 'cart', 'p1:1', context(a.clock))
    const resurrected = sync(d.clock, a.clock) // correct: stays deleted
    expect(checkHistory(h.ops, [snap('cart', resurrected, d.clock)]).violations).toEqual([])
    const broken: DvvSet = { entries: [...d.clock.entries.filter((e) => e.actor !== 'p0:1'), a.clock.entries[0]!].sort((x, y) => x.actor < y.actor ? -1 : 1), anonymous: [] }
    const result = checkHistory(h.ops, [snap('cart', broken, broken)])
    expect(result.resurrected).toBe(2)
    expect(result.violations.filter((v) => v.kind === 'resurrected').map((v) => v.replicas)).toEqual([['p0'], ['p1']])
  })

  it('catches siblings where one write had seen the other', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    const b = put(h, a.clock, 'k', 'p1:1', context(a.clock))
    // A broken replica that kept a next to b although b's writer had read a.
    const broken: DvvSet = { entries: [a.clock.entries[0]!, b.clock.entries.find((e) => e.actor === 'p1:1')!], anonymous: [] }
    const kinds = checkHistory(h.ops, [snap('k', broken)]).violations.map((v) => v.kind)
    expect(kinds).toContain('false-sibling')
    expect(kinds).toContain('superseded-survivor')
  })

  it('keeps dots apart per key: the same dot on two keys names two different writes', () => {
    // Found by the simulator's first runs: a global dot index blamed one key's write for
    // another key's siblings (each key has its own clock, so dots repeat across keys).
    const h = new History()
    const a1 = put(h, emptyClock(), 'a', 'p1:1', undefined)
    const b1 = put(h, emptyClock(), 'b', 'p1:1', undefined)
    const a2 = put(h, a1.clock, 'a', 'p2:1', undefined)
    const b2 = put(h, b1.clock, 'b', 'p2:1', context(b1.clock)) // dot p2:1#1 of b saw p1:1#1 of b
    expect(checkHistory(h.ops, [snap('a', a2.clock, a2.clock), snap('b', b2.clock, b2.clock)]).violations).toEqual([])
  })

  it('catches a W=1 write that failed, and values nobody wrote', () => {
    const h = new History()
    const op = h.invoke({ kind: 'put', key: 'k', client: 0, coordinator: 'p3', invokedAt: 0, value: valueFor(0), w: 1 })
    h.fail(op, 5, Object.assign(new Error('quorum'), { name: 'QuorumNotMetError', acks: 0, required: 1 }))
    const phantom = update(emptyClock(), [], { value: new Uint8Array([1, 2]), ts: 1 }, 'p0:1')
    const result = checkHistory(h.ops, [snap('k', phantom)])
    expect(result.violations.map((v) => v.kind).sort()).toEqual(['phantom-value', 'unavailable'])
    expect(op).toMatchObject({ outcome: 'error', error: 'QuorumNotMetError', acks: 0, required: 1 })
  })

  it('counts a W=1 write refused at the sibling cap apart, and no other error', () => {
    const h = new History()
    const capped = h.invoke({ kind: 'put', key: 'k', client: 0, coordinator: 'p3', invokedAt: 0, value: valueFor(0), w: 1 })
    h.fail(capped, 5, Object.assign(new Error('write refused: it would leave 65 siblings (limit 64)'), { name: 'TooManySiblingsError' }))
    const remote = h.invoke({ kind: 'put', key: 'k', client: 1, coordinator: 'p3', invokedAt: 0, value: valueFor(1), w: 1 })
    h.fail(remote, 5, Object.assign(new Error('peer p2 replied bad-request'), { name: 'RemoteError' }))
    const result = checkHistory(h.ops, [snap('k', emptyClock())])
    expect(result.violations.map((v) => v.ops)).toEqual([[remote.id]])
    expect(h.ops.filter(refusedAtSiblingCap).map((op) => op.id)).toEqual([capped.id])
  })

  it('describes clocks compactly for reports', () => {
    const h = new History()
    const a = put(h, emptyClock(), 'k', 'p0:1', undefined)
    expect(describeClock(a.clock)).toBe('{p0:1:1[w0]}')
    expect(describeClock(null)).toBe('∅')
  })
})

describe('history values', () => {
  it('maps every put value back to its op id and nothing else', () => {
    expect(writerOf(valueFor(42))).toBe(42)
    expect(writerOf(new TextEncoder().encode('w042'))).toBeUndefined()
    expect(writerOf(new TextEncoder().encode('x1'))).toBeUndefined()
  })
})
