/**
 * Issue 13's truncation bug, reproduced: above 64 actors per key, a value that truncation
 * brought back must not stay alive for good. Replicas here act as the replica store does
 * (peer/src/data/replica-store.ts `#normalize`): truncate to 64 entries after every write
 * and merge, keeping the coordinator's own actor.
 */
import { describe, expect, it } from 'vitest'
import type { DvvSet, Sibling } from '../src/types.js'
import { LIMITS } from '../src/types.js'
import { context, coveredGrown, emptyClock, mergeContexts, siblings, sync, truncate, update } from '../src/versions.js'

const MAX = LIMITS.clockEntries
const value = (name: string, ts: number): Sibling => ({ value: new TextEncoder().encode(name), ts })
const names = (c: DvvSet): string[] => siblings(c).map((s) => new TextDecoder().decode(s.value ?? new Uint8Array()))
const stored = (c: DvvSet, own: string): DvvSet => (c.entries.length > MAX ? truncate(c, MAX, [own]) : c)

describe('truncation past 64 actors (issue 13)', () => {
  it('128 writers and one lagging replica: the superseded value goes away once the replicas sync', () => {
    let ts = 0
    // w0 writes v0; both replicas have it.
    let up = stored(update(emptyClock(), [], value('v0', ++ts), 'w0'), 'w0')
    let lagging = up
    // 128 writers, each a new actor that read the up-to-date replica: each supersedes the
    // last. The lagging replica sees none of it; the up-to-date one truncates w0's entry.
    for (let i = 1; i <= 128; i++) up = stored(update(up, context(up), value(`v${i}`, ++ts), `w${i}`), `w${i}`)
    expect(names(up)).toStrictEqual(['v128'])
    expect(up.entries.some((e) => e.actor === 'w0')).toBe(false)
    // The lagging replica comes back: anti-entropy both ways. v0 is resurrected (false
    // concurrency: nothing recorded its supersession any more). That much is allowed.
    up = stored(sync(up, lagging), 'w128')
    lagging = stored(sync(lagging, up), 'w128')
    expect(names(up).sort()).toStrictEqual(['v0', 'v128'])
    // New actors keep writing, each having read everything, and the replicas sync after
    // every write. v0 must not outlive the first write that supersedes it again.
    for (let i = 129; i <= 256; i++) {
      const actor = `w${i}`
      up = stored(update(up, context(up), value(`v${i}`, ++ts), actor), actor)
      lagging = stored(sync(lagging, up), actor)
      up = stored(sync(up, lagging), actor)
      expect(names(up)).toStrictEqual([`v${i}`])
      expect(names(lagging)).toStrictEqual([`v${i}`])
    }
  })

  it('the entry that records a supersession is the last value-less one truncation drops', () => {
    // 'old' (a, written at 1) stays a sibling until a write at 100 supersedes it; b0 and b1
    // were superseded at 11 and 12. a's entry was touched last at 100, not at 1.
    let c = update(emptyClock(), [], value('old', 1), 'a')
    c = update(c, [], value('x0', 10), 'b0')
    c = update(c, [['b0', 1]], value('x1', 11), 'b1')
    c = update(c, [['b1', 1]], value('x2', 12), 'b2')
    expect(names(c).sort()).toStrictEqual(['old', 'x2'])
    c = update(c, context(c), value('new', 100), 'n')
    const a = c.entries.find((e) => e.actor === 'a')
    expect(a?.values).toStrictEqual([])
    expect(a?.ts).toBe(100)
    // Two value-less entries must go: b0 and b1 (touched at 11 and 12), not a.
    const t = truncate(c, c.entries.length - 2, ['n'])
    expect(t.entries.map((e) => e.actor)).toStrictEqual(['a', 'b2', 'n'])
  })

  it('a write whose coordinator never held the value it superseded records it with its own time', () => {
    // The coordinator's clock is at the bound with 64 value-less entries of recent writes;
    // it never held 'v' (actor a), which the client read at another replica. The write's
    // context names a:1. Recorded with ts 0 (nothing here had touched it), that record was
    // the first value-less entry any truncation dropped: at the next merge wherever the
    // clock held more than 64 entries, which with young records (versions-young.test.ts)
    // is every merge of a busy key, before 'v' arrived (--peers 10 --seed 1 --ops 10000:
    // 3 resurrected). It now carries the write's time, like every record the write makes.
    let ts = 0
    let coordinator = emptyClock()
    for (let i = 0; i < MAX; i++) coordinator = stored(update(coordinator, context(coordinator), value(`x${i}`, ++ts), `b${i}`), `b${i}`)
    const other = update(emptyClock(), [], value('v', ++ts), 'a')
    const read = mergeContexts(context(coordinator), context(other))
    const next = update(coordinator, read, value('w', ts + 1), 'c')
    expect(coveredGrown(coordinator, next)).toStrictEqual(['a', 'b63']) // b63's value superseded too
    expect(next.entries.find((e) => e.actor === 'a')).toMatchObject({ counter: 1, values: [], ts: ts + 1 })
    // The store's truncation keeps it without being told to, and so does a later merge.
    const written = stored(next, 'c')
    expect(written.entries.find((e) => e.actor === 'a')).toMatchObject({ counter: 1, values: [] })
    const later = stored(sync(written, update(emptyClock(), [], value('y', ts + 2), 'd')), 'c')
    expect(names(stored(sync(other, later), 'c')).sort()).toStrictEqual(['w', 'y'])
  })

  it('a context that raises a value-less entry\'s counter stamps it with the write\'s time', () => {
    // The coordinator recorded a:1 long ago; the client read a:3 elsewhere (a:2 and a:3
    // superseded there, or still live on a lagging replica).
    const c = update(update(emptyClock(), [], value('v1', 1), 'a'), [['a', 1]], value('x', 2), 'b')
    expect(c.entries.find((e) => e.actor === 'a')).toMatchObject({ counter: 1, values: [], ts: 2 })
    const next = update(c, [['a', 3], ['b', 1]], value('y', 50), 'b')
    expect(next.entries.find((e) => e.actor === 'a')).toMatchObject({ counter: 3, values: [], ts: 50 })
    // A context that names nothing new leaves the entry's time alone.
    const again = update(next, [['a', 3], ['b', 2]], value('z', 60), 'b')
    expect(again.entries.find((e) => e.actor === 'a')).toMatchObject({ counter: 3, ts: 50 })
  })

  it('coveredGrown names the entries whose covered dots rose, and only those', () => {
    let c = update(emptyClock(), [], value('v1', 1), 'a')
    c = update(c, [], value('x', 2), 'b')
    const before = c
    // Supersedes a:1 (value dropped) and b:1, and names a:2 that this clock never saw.
    c = update(c, [['a', 2], ['b', 1]], value('y', 3), 'b')
    expect(coveredGrown(before, c)).toStrictEqual(['a', 'b'])
    expect(coveredGrown(c, update(c, [], value('z', 4), 'd'))).toStrictEqual([])
    expect(coveredGrown(null, c)).toStrictEqual(['a', 'b'])
  })
})
