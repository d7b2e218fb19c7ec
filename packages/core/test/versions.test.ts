import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import type { DvvSet, Sibling, VersionVector } from '../src/types.js'
import {
  DEFAULT_MAX_CLOCK_ENTRIES,
  InvalidClockError,
  clockEqual,
  clockLess,
  compareContexts,
  context,
  descends,
  emptyClock,
  isTombstone,
  liveSiblings,
  lww,
  mergeContexts,
  siblingCount,
  siblings,
  sync,
  syncAll,
  truncate,
  update,
  validateClock,
  validateContext
} from '../src/versions.js'
import { LIMITS } from '../src/types.js'

// ---------------------------------------------------------------------------------------
// Reference helpers, written independently of the implementation.

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs)
const sib = (v: number | null, ts: number): Sibling => ({ value: v === null ? null : bytes(v), ts })

interface Dotted { readonly actor: string, readonly counter: number, readonly sibling: Sibling }

/** Every dotted value of a clock with its dot, read straight from the representation. */
function dotted(c: DvvSet): Dotted[] {
  return c.entries.flatMap((e) => e.values.map((sibling, i) => ({ actor: e.actor, counter: e.counter - i, sibling })))
}
const dotKey = (actor: string, counter: number): string => `${actor}#${counter}`
const counterIn = (ctx: VersionVector, actor: string): number => ctx.find(([a]) => a === actor)?.[1] ?? 0
const covers = (ctx: VersionVector, actor: string, counter: number): boolean => counterIn(ctx, actor) >= counter
const sameSibling = (a: Sibling, b: Sibling): boolean =>
  a.ts === b.ts && (a.value === null ? b.value === null : b.value !== null && Buffer.compare(a.value, b.value) === 0)
const sameSiblingSet = (a: readonly Sibling[], b: readonly Sibling[]): boolean =>
  a.length === b.length && a.every((s) => b.some((t) => sameSibling(s, t)))

// ---------------------------------------------------------------------------------------
// Realistic histories: replicas, each coordinating as its own actor `r<i>:<epoch>` (a
// restart bumps the epoch), writing with contexts from earlier reads of any replica
// (possibly stale) or with none, and syncing with each other.

type Op =
  | { readonly kind: 'read', readonly replica: number }
  | { readonly kind: 'write', readonly replica: number, readonly ctx: number, readonly tombstone: boolean, readonly dt: number }
  | { readonly kind: 'sync', readonly from: number, readonly to: number, readonly both: boolean }
  | { readonly kind: 'restart', readonly replica: number }

interface History { readonly replicas: number, readonly skew: readonly number[], readonly ops: readonly Op[] }

function opArb(n: number): fc.Arbitrary<Op> {
  const replica = fc.nat(n - 1)
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), replica }) },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('write' as const),
        replica,
        // -2: no context, -1: a fresh read of the writer's own replica, k: saved read k (mod count)
        ctx: fc.integer({ min: -2, max: 20 }),
        tombstone: fc.nat(5).map((n) => n === 0), // a delete now and then
        dt: fc.nat(2)
      })
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica, both: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), replica }) }
  )
}

const historyArb = (maxOps = 40): fc.Arbitrary<History> =>
  fc.integer({ min: 2, max: 4 }).chain((n) =>
    fc.record({
      replicas: fc.constant(n),
      // Per-replica wall-clock skew: timestamps are monotone per actor, not across actors.
      skew: fc.array(fc.nat(3), { minLength: n, maxLength: n }),
      ops: fc.array(opArb(n), { maxLength: maxOps, size: 'max' })
    })
  )

interface Write { readonly actor: string, readonly counter: number, readonly sibling: Sibling, readonly ctx: VersionVector }
interface Run {
  readonly clocks: DvvSet[]
  readonly actors: string[]
  readonly writes: Write[]
  /** Every replica state seen during the run. */
  readonly snapshots: DvvSet[]
  /** Every context read during the run. */
  readonly reads: VersionVector[]
}

function runHistory(h: History, maxEntries?: number): Run {
  const clocks = Array.from({ length: h.replicas }, () => emptyClock())
  const epochs = Array.from({ length: h.replicas }, () => 0)
  const actors = clocks.map((_, r) => `r${r}:0`)
  const minted = new Map<string, number>()
  const run: Run = { clocks, actors, writes: [], snapshots: [], reads: [] }
  const store = (r: number, c: DvvSet): void => {
    clocks[r] = maxEntries === undefined ? c : truncate(c, maxEntries, [actors[r] as string])
    run.snapshots.push(clocks[r] as DvvSet)
  }
  let time = 0
  for (const op of h.ops) {
    if (op.kind === 'read') run.reads.push(context(clocks[op.replica] as DvvSet))
    if (op.kind === 'restart') {
      const epoch = (epochs[op.replica] ?? 0) + 1
      epochs[op.replica] = epoch
      actors[op.replica] = `r${op.replica}:${epoch}`
    }
    if (op.kind === 'sync') {
      store(op.to, sync(clocks[op.to] as DvvSet, clocks[op.from] as DvvSet))
      if (op.both) store(op.from, sync(clocks[op.from] as DvvSet, clocks[op.to] as DvvSet))
    }
    if (op.kind === 'write') {
      time += op.dt
      const r = op.replica
      const actor = actors[r] as string
      const ctx = op.ctx === -2 ? [] : op.ctx === -1 || run.reads.length === 0
        ? context(clocks[r] as DvvSet)
        : run.reads[op.ctx % run.reads.length] as VersionVector
      const sibling = { value: op.tombstone ? null : bytes(run.writes.length % 256, run.writes.length >> 8), ts: time + (h.skew[r] as number) }
      const next = update(clocks[r] as DvvSet, ctx, sibling, actor)
      // The model: an actor's dots are 1, 2, 3… in the order its coordinator writes.
      const counter = (minted.get(actor) ?? 0) + 1
      minted.set(actor, counter)
      const head = next.entries.find((e) => e.actor === actor)
      if (head?.counter !== counter || head.values[0] !== sibling) throw new Error(`dot mismatch for ${actor}`)
      run.writes.push({ actor, counter, sibling, ctx })
      store(r, next)
    }
  }
  return run
}

/** Reference model: dots written, minus those covered by the context of any write. */
function expectedSurvivors(writes: readonly Write[]): Map<string, Sibling> {
  const live = new Map<string, Sibling>()
  for (const w of writes) {
    if (!writes.some((later) => covers(later.ctx, w.actor, w.counter))) live.set(dotKey(w.actor, w.counter), w.sibling)
  }
  return live
}

/** A history plus three indices into its snapshots (for algebraic laws). */
const snapshotsArb = historyArb().chain((h) =>
  fc.tuple(fc.constant(runHistory(h)), fc.nat(), fc.nat(), fc.nat()).map(([run, i, j, k]) => {
    const pick = (x: number): DvvSet => run.snapshots.length === 0 ? emptyClock() : run.snapshots[x % run.snapshots.length] as DvvSet
    return { run, a: pick(i), b: pick(j), c: pick(k) }
  })
)

const RUNS = { numRuns: 500 }

describe('sync', () => {
  it('is commutative, associative, idempotent, with the empty clock as identity', () => {
    fc.assert(fc.property(snapshotsArb, ({ a, b, c }) => {
      expect(clockEqual(sync(a, b), sync(b, a))).toBe(true)
      expect(clockEqual(sync(sync(a, b), c), sync(a, sync(b, c)))).toBe(true)
      expect(clockEqual(sync(a, a), a)).toBe(true)
      expect(clockEqual(sync(a, emptyClock()), a)).toBe(true)
      expect(clockEqual(sync(emptyClock(), a), a)).toBe(true)
    }), RUNS)
  })

  it('is canonical: syncAll in any order gives structurally equal clocks (values included)', () => {
    fc.assert(fc.property(historyArb().map((h) => runHistory(h)), fc.nat(), ({ clocks }, seed) => {
      const rotated = [...clocks.slice(seed % clocks.length), ...clocks.slice(0, seed % clocks.length)].reverse()
      expect(syncAll(rotated)).toStrictEqual(syncAll(clocks))
    }), RUNS)
  })

  it('stays commutative, idempotent and canonical with anonymous values', () => {
    const anonArb = fc.uniqueArray(fc.nat(50), { maxLength: 3 }).map((ts) => ts.sort((p, q) => p - q).map((t) => sib(t % 3, t)))
    fc.assert(fc.property(snapshotsArb, anonArb, anonArb, ({ a, b }, xa, xb) => {
      const a2 = { ...a, anonymous: xa }
      const b2 = { ...b, anonymous: xb }
      expect(sync(a2, b2)).toStrictEqual(sync(b2, a2))
      expect(sync(a2, a2)).toStrictEqual(a2)
      validateClock(sync(a2, b2))
    }), RUNS)
  })

  it('merges contexts pointwise and follows DVVSet for anonymous values', () => {
    const anonX: DvvSet = { entries: [{ actor: 'p', counter: 1, values: [], ts: 0 }], anonymous: [sib(1, 5)] }
    const anonY: DvvSet = { entries: [{ actor: 'q', counter: 1, values: [], ts: 0 }], anonymous: [sib(2, 5)] }
    const both: DvvSet = { entries: [{ actor: 'p', counter: 1, values: [], ts: 0 }, { actor: 'q', counter: 1, values: [], ts: 0 }], anonymous: [] }
    // concurrent: union in canonical order, whatever the argument order
    expect(sync(anonX, anonY).anonymous).toStrictEqual([sib(1, 5), sib(2, 5)])
    expect(sync(anonY, anonX)).toStrictEqual(sync(anonX, anonY))
    // strictly before: its anonymous values are dropped
    expect(sync(anonX, both).anonymous).toStrictEqual([])
    expect(context(sync(anonX, anonY))).toStrictEqual(context(both))
    expect(syncAll([])).toStrictEqual(emptyClock())
  })

  it('keeps a value only one side still holds unless the other superseded it', () => {
    const a = update(emptyClock(), [], sib(1, 1), 'a')
    const superseding = update(a, context(a), sib(2, 2), 'b')
    expect(siblings(sync(a, superseding))).toStrictEqual([sib(2, 2)])
    const concurrent = update(emptyClock(), [], sib(3, 3), 'b')
    expect(sameSiblingSet(siblings(sync(a, concurrent)), [sib(1, 1), sib(3, 3)])).toBe(true)
  })
})

const vvArb: fc.Arbitrary<VersionVector> = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 4 }))
  .map((d) => Object.entries(d).sort(([x], [y]) => (x < y ? -1 : 1)))

describe('contexts', () => {
  it('descends is a partial order and mergeContexts is the least upper bound', () => {
    fc.assert(fc.property(vvArb, vvArb, vvArb, (a, b, c) => {
      expect(descends(a, a)).toBe(true)
      if (descends(a, b) && descends(b, a)) expect(a).toStrictEqual(b)
      if (descends(a, b) && descends(b, c)) expect(descends(a, c)).toBe(true)
      const m = mergeContexts(a, b)
      expect(descends(m, a) && descends(m, b)).toBe(true)
      if (descends(c, a) && descends(c, b)) expect(descends(c, m)).toBe(true)
      expect(mergeContexts(b, a)).toStrictEqual(m)
      validateContext(m)
      const expected = descends(a, b) ? (descends(b, a) ? 'equal' : 'after') : descends(b, a) ? 'before' : 'concurrent'
      expect(compareContexts(a, b)).toBe(expected)
    }), { numRuns: 500 })
  })

  it('clockLess is strict causal precedence of the contexts', () => {
    fc.assert(fc.property(snapshotsArb, ({ a, b }) => {
      expect(clockLess(a, b)).toBe(compareContexts(context(a), context(b)) === 'before')
      expect(clockLess(a, a)).toBe(false)
    }), RUNS)
  })

  it('compares a few hand-made vectors', () => {
    expect(compareContexts([['a', 1]], [['a', 2]])).toBe('before')
    expect(compareContexts([['a', 1], ['b', 1]], [['a', 1]])).toBe('after')
    expect(compareContexts([['a', 1]], [['b', 1]])).toBe('concurrent')
    expect(compareContexts([], [])).toBe('equal')
    expect(descends([], [['a', 1]])).toBe(false)
    expect(mergeContexts([['a', 3], ['c', 1]], [['a', 1], ['b', 2]])).toStrictEqual([['a', 3], ['b', 2], ['c', 1]])
  })
})

describe('update', () => {
  const writeArb = snapshotsArb.chain((s) => fc.record({
    s: fc.constant(s),
    ctxIndex: fc.nat(),
    actor: fc.constantFrom('r0:0', 'r1:0', 'zz:9', 'a:1'),
    value: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null }),
    ts: fc.nat(100)
  }))

  it('drops exactly the siblings covered by the context, keeps the rest, adds the new one', () => {
    fc.assert(fc.property(writeArb, ({ s, ctxIndex, actor, value, ts }) => {
      const ctx = s.run.reads.length === 0 ? context(s.b) : s.run.reads[ctxIndex % s.run.reads.length] as VersionVector
      const next = update(s.a, ctx, { value, ts }, actor)
      const kept = dotted(s.a).filter((d) => !covers(ctx, d.actor, d.counter)).map((d) => d.sibling)
      const anonymousKept = compareContexts(context(s.a), ctx) === 'before' ? [] : s.a.anonymous
      expect(sameSiblingSet(siblings(next), [{ value, ts }, ...kept, ...anonymousKept])).toBe(true)
      const minted = Math.max(counterIn(context(s.a), actor), counterIn(ctx, actor)) + 1
      expect(context(next)).toStrictEqual(mergeContexts(mergeContexts(context(s.a), ctx), [[actor, minted]]))
      const own = next.entries.find((e) => e.actor === actor)
      expect(own?.values[0]).toStrictEqual({ value, ts })
      expect(own?.ts).toBe(ts)
      validateClock(next)
    }), RUNS)
  })

  it('a write with the current context supersedes everything it saw: one sibling left', () => {
    fc.assert(fc.property(writeArb, ({ s, actor, ts }) => {
      const next = update(s.a, context(s.a), sib(7, ts), actor)
      expect(siblings(next)).toStrictEqual([sib(7, ts)])
      expect(descends(context(next), context(s.a))).toBe(true)
    }), RUNS)
  })

  it('a write from an older read keeps exactly the siblings written after that read', () => {
    fc.assert(fc.property(historyArb(), fc.nat(), (h, cut) => {
      // One replica; its writes use no context or a fresh read (there are no saved reads).
      const ops = h.ops.flatMap((o) => (o.kind === 'write' ? [{ ...o, replica: 0 }] : []))
      const before = runHistory({ ...h, ops: ops.slice(0, cut % (ops.length + 1)) })
      const after = runHistory({ ...h, ops })
      const read = context(before.clocks[0] as DvvSet)
      const next = update(after.clocks[0] as DvvSet, read, sib(9, 99), 'r1:0')
      const writtenLater = after.writes.slice(before.writes.length).map((w) => w.sibling)
      const stillThere = siblings(after.clocks[0] as DvvSet)
      expect(sameSiblingSet(siblings(next), [sib(9, 99), ...stillThere.filter((s) => writtenLater.includes(s))])).toBe(true)
    }), RUNS)
  })

  it('a write without context keeps every existing sibling', () => {
    fc.assert(fc.property(writeArb, ({ s, actor }) => {
      const next = update(s.a, [], sib(8, 1), actor)
      expect(siblingCount(next)).toBe(siblingCount(s.a) + 1)
      expect(sameSiblingSet(siblings(next), [sib(8, 1), ...siblings(s.a)])).toBe(true)
    }), RUNS)
  })

  it('concurrent writes become siblings; a write that saw them does not', () => {
    fc.assert(fc.property(snapshotsArb, ({ a }) => {
      const x = update(a, context(a), sib(1, 50), 'x:0')
      const y = update(a, context(a), sib(2, 50), 'y:0')
      const merged = sync(x, y)
      expect(sameSiblingSet(siblings(merged), [sib(1, 50), sib(2, 50)])).toBe(true)
      const resolved = update(x, context(merged), sib(3, 51), 'x:0')
      expect(siblings(sync(resolved, y))).toStrictEqual([sib(3, 51)])
    }), RUNS)
  })

  it('drops anonymous values only when the context is strictly after the clock (DVVSet rule)', () => {
    const x = sib(1, 1)
    const c: DvvSet = { entries: [{ actor: 'p', counter: 1, values: [], ts: 0 }], anonymous: [x] }
    const anonymousAfter = (clock: DvvSet, ctx: VersionVector): readonly Sibling[] => update(clock, ctx, sib(9, 9), 'a').anonymous
    expect(anonymousAfter(c, [])).toStrictEqual([x]) // no context: concurrent with everything
    expect(anonymousAfter(c, [['p', 1]])).toStrictEqual([x]) // equal contexts: kept
    expect(anonymousAfter(c, [['q', 1]])).toStrictEqual([x]) // concurrent: kept
    expect(anonymousAfter(c, [['p', 1], ['q', 1]])).toStrictEqual([]) // strictly after: dropped
    expect(anonymousAfter(c, [['p', 2]])).toStrictEqual([])
    const bare: DvvSet = { entries: [], anonymous: [x] }
    expect(anonymousAfter(bare, [])).toStrictEqual([x])
    expect(anonymousAfter(bare, [['p', 1]])).toStrictEqual([])
  })

  it('rejects a malformed context or actor with InvalidClockError', () => {
    const bad: unknown[] = [[['b', 1], ['a', 1]], [['a', 0]], [['a', 1], ['a', 2]], [['', 1]], [['a', 1.5]], 'x', [['a']]]
    for (const ctx of bad) expect(() => update(emptyClock(), ctx as VersionVector, sib(1, 1), 'a')).toThrow(InvalidClockError)
    expect(() => update(emptyClock(), [], sib(1, 1), '')).toThrow(InvalidClockError)
  })
})

describe('histories against the reference model', () => {
  it('no lost updates: after syncing all replicas exactly the uncovered writes remain', () => {
    fc.assert(fc.property(historyArb(60), (h) => {
      const run = runHistory(h)
      const expected = expectedSurvivors(run.writes)
      const actual = new Map(dotted(syncAll(run.clocks)).map((d) => [dotKey(d.actor, d.counter), d.sibling]))
      expect([...actual.keys()].sort()).toStrictEqual([...expected.keys()].sort())
      for (const [k, s] of expected) expect(sameSibling(actual.get(k) as Sibling, s)).toBe(true)
      // every replica only ever holds values that were written, with their own dot
      for (const c of run.clocks) {
        for (const d of dotted(c)) expect(run.writes.some((w) => w.actor === d.actor && w.counter === d.counter && w.sibling === d.sibling)).toBe(true)
      }
    }), { numRuns: 1000 })
  })

  it('replicas that exchanged everything converge to identical clocks', () => {
    fc.assert(fc.property(historyArb(), (h) => {
      const { clocks } = runHistory(h)
      const all = syncAll(clocks)
      for (const c of clocks) expect(sync(c, all)).toStrictEqual(all)
    }), RUNS)
  })
})

describe('lww', () => {
  const rank = (d: Dotted, x: Dotted): boolean =>
    d.sibling.ts !== x.sibling.ts ? d.sibling.ts > x.sibling.ts : d.actor !== x.actor ? d.actor > x.actor : d.counter > x.counter

  it('keeps the single max (ts, actor, dot) sibling and the full context', () => {
    fc.assert(fc.property(snapshotsArb, ({ a, b }) => {
      const c = sync(a, b)
      const collapsed = lww(c)
      const all = dotted(c)
      expect(context(collapsed)).toStrictEqual(context(c))
      expect(siblingCount(collapsed)).toBe(all.length === 0 ? 0 : 1)
      if (all.length > 0) {
        const best = all.reduce((m, d) => (rank(d, m) ? d : m))
        expect(dotted(collapsed)).toStrictEqual([best])
      }
      expect(lww(sync(b, a))).toStrictEqual(collapsed)
      expect(clockEqual(sync(collapsed, c), collapsed)).toBe(true)
      expect(lww(collapsed)).toStrictEqual(collapsed)
      validateClock(collapsed)
    }), RUNS)
  })

  it('ranks an actor\'s newer dot above its older values even if its clock stepped back', () => {
    const c: DvvSet = { entries: [{ actor: 'a', counter: 2, values: [sib(2, 5), sib(1, 9)], ts: 5 }, { actor: 'b', counter: 1, values: [sib(3, 8)], ts: 8 }], anonymous: [] }
    expect(siblings(lww(c))).toStrictEqual([sib(2, 5)])
    const tie: DvvSet = { entries: [{ actor: 'a', counter: 1, values: [sib(1, 5)], ts: 5 }], anonymous: [sib(0, 5)] }
    expect(siblings(lww(tie))).toStrictEqual([sib(1, 5)])
    expect(lww(emptyClock())).toStrictEqual(emptyClock())
  })
})

describe('truncate', () => {
  // Many restarts make many actors, most of them value-less after a few superseding writes.
  const truncArb = fc.tuple(historyArb(60), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 4 }))

  it('respects the bound when possible, never removes a value, drops the least recently touched', () => {
    fc.assert(fc.property(truncArb, ([h, max]) => {
      for (const c of runHistory(h).snapshots) {
        const t = truncate(c, max)
        expect(siblings(t)).toStrictEqual(siblings(c))
        const withValues = c.entries.filter((e) => e.values.length > 0).length
        expect(t.entries.length).toBe(Math.max(Math.min(c.entries.length, max), withValues))
        const dropped = c.entries.filter((e) => !t.entries.includes(e))
        const keptBare = t.entries.filter((e) => e.values.length === 0)
        for (const d of dropped) {
          expect(d.values).toStrictEqual([])
          for (const k of keptBare) expect(d.ts < k.ts || (d.ts === k.ts && d.actor < k.actor)).toBe(true)
        }
        expect(t.entries).toStrictEqual(c.entries.filter((e) => !dropped.includes(e)))
        validateClock(t)
      }
    }), { numRuns: 150 })
  })

  it('never drops a kept actor', () => {
    const c: DvvSet = { entries: ['a', 'b', 'c'].map((actor, i) => ({ actor, counter: 1, values: [], ts: i })), anonymous: [] }
    expect(context(truncate(c, 1, ['a']))).toStrictEqual([['a', 1]])
    expect(context(truncate(c, 0))).toStrictEqual([])
    expect(() => truncate(c, -1)).toThrow(RangeError)
    expect(DEFAULT_MAX_CLOCK_ENTRIES).toBe(LIMITS.clockEntries)
  })

  it('replicas that truncate after every step still lose no update (extra siblings allowed)', () => {
    fc.assert(fc.property(truncArb, ([h, , max]) => {
      const run = runHistory(h, max)
      const expected = expectedSurvivors(run.writes)
      const written = new Map(run.writes.map((w) => [dotKey(w.actor, w.counter), w.sibling]))
      const actual = new Map(dotted(syncAll(run.clocks)).map((d) => [dotKey(d.actor, d.counter), d.sibling]))
      for (const [k, s] of expected) expect(sameSibling(actual.get(k) as Sibling, s)).toBe(true)
      for (const [k, s] of actual) expect(sameSibling(written.get(k) as Sibling, s)).toBe(true)
    }), { numRuns: 300 })
  })
})

describe('sibling views', () => {
  it('lists entries in actor order, newest first, then anonymous; spots tombstones', () => {
    let c = update(emptyClock(), [], sib(1, 1), 'b')
    c = update(c, [], { value: null, ts: 2 }, 'a')
    c = update(c, [], sib(3, 3), 'b')
    expect(siblings(c)).toStrictEqual([{ value: null, ts: 2 }, sib(3, 3), sib(1, 1)])
    expect(liveSiblings(c)).toStrictEqual([sib(3, 3), sib(1, 1)])
    expect(siblingCount(c)).toBe(3)
    expect(isTombstone(c)).toBe(false)
    expect(isTombstone(emptyClock())).toBe(false)
    const deleted = update(c, context(c), { value: null, ts: 4 }, 'a')
    expect(isTombstone(deleted)).toBe(true)
    expect(liveSiblings(deleted)).toStrictEqual([])
    expect(clockEqual(c, deleted)).toBe(false)
    expect(clockEqual(c, structuredClone(c))).toBe(true)
  })
})

describe('validateClock', () => {
  it('accepts every clock the operations produce', () => {
    fc.assert(fc.property(historyArb(), (h) => {
      const run = runHistory(h)
      for (const c of [...run.snapshots, syncAll(run.clocks), lww(syncAll(run.clocks))]) validateClock(c)
    }), RUNS)
  })

  it('rejects hand-made invalid clocks with InvalidClockError', () => {
    const e = (actor: string, counter: number, values: Sibling[] = []) => ({ actor, counter, values, ts: 0 })
    const invalid: unknown[] = [
      null, 'clock', { entries: [] }, { anonymous: [] }, { entries: {}, anonymous: [] },
      { entries: [e('b', 1), e('a', 1)], anonymous: [] },
      { entries: [e('a', 1), e('a', 2)], anonymous: [] },
      { entries: [e('', 1)], anonymous: [] },
      { entries: [e('a', 0)], anonymous: [] },
      { entries: [e('a', 1.5)], anonymous: [] },
      { entries: [e('a', Number.MAX_SAFE_INTEGER + 1)], anonymous: [] },
      { entries: [e('a', 1, [sib(1, 1), sib(2, 2)])], anonymous: [] },
      { entries: [{ ...e('a', 1), ts: Number.NaN }], anonymous: [] },
      { entries: [e('a', 1, [{ value: [1, 2], ts: 1 } as never])], anonymous: [] },
      { entries: [e('a', 1, [{ value: null, ts: Infinity }])], anonymous: [] },
      { entries: [], anonymous: [sib(2, 2), sib(1, 1)] },
      { entries: [], anonymous: [sib(1, 1), sib(1, 1)] },
      { entries: [null], anonymous: [] }
    ]
    for (const c of invalid) {
      expect(() => validateClock(c as DvvSet)).toThrow(InvalidClockError)
    }
    const thrown = ((): unknown => {
      try { validateClock({ entries: [e('a', 0)], anonymous: [] }) } catch (err) { return err }
      return undefined
    })()
    expect((thrown as Error | undefined)?.name).toBe('InvalidClockError')
    expect(() => validateClock({ entries: [e('a', 2, [sib(1, 1)]), e('b', 1)], anonymous: [sib(1, 1), sib(2, 1)] })).not.toThrow()
  })
})
