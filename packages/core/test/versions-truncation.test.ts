/**
 * Issue 13's truncation bug, reproduced: above 64 actors per key, a value that truncation
 * brought back must not stay alive for good. Replicas here act as the replica store does
 * (peer/src/data/replica-store.ts `#normalize`): truncate to 64 entries after every write
 * and merge, keeping the coordinator's own actor.
 */
import { describe, expect, it } from 'vitest'
import type { DvvSet, Sibling } from '../src/types.js'
import { LIMITS } from '../src/types.js'
import { clockEqual, context, emptyClock, mergeContexts, siblings, sync, truncate, update } from '../src/versions.js'

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

  it('a write whose coordinator never held the value it superseded keeps that record too', () => {
    // The coordinator's clock is at the bound with 64 value-less entries of recent writes;
    // it never held 'v' (actor a), which the client read at another replica. The write's
    // context names a:1; the record of that supersession is newer than every other
    // value-less entry, so the write's own truncation must not drop it.
    let ts = 0
    let coordinator = emptyClock()
    for (let i = 0; i < MAX; i++) coordinator = stored(update(coordinator, context(coordinator), value(`x${i}`, ++ts), `b${i}`), `b${i}`)
    const other = update(emptyClock(), [], value('v', ++ts), 'a')
    const read = mergeContexts(context(coordinator), context(other))
    const written = stored(update(coordinator, read, value('w', ++ts), 'c'), 'c')
    expect(written.entries.find((e) => e.actor === 'a')).toMatchObject({ counter: 1, values: [], ts })
    expect(names(stored(sync(other, written), 'c'))).toStrictEqual(['w'])
  })

  it('a context beyond a value-less entry\'s counter stamps it with the write\'s time', () => {
    // The coordinator recorded a:1 as superseded long ago; the client read a:2 elsewhere.
    let c = update(emptyClock(), [], value('v1', 1), 'a')
    c = update(c, context(c), value('x', 2), 'b')
    c = update(c, [['a', 2], ['b', 1]], value('y', 50), 'b')
    expect(c.entries.find((e) => e.actor === 'a')).toMatchObject({ counter: 2, values: [], ts: 50 })
    // Covering nothing new leaves the entry's time alone.
    c = update(c, [['a', 2], ['b', 2]], value('z', 60), 'b')
    expect(c.entries.find((e) => e.actor === 'a')?.ts).toBe(50)
  })

  it('replicas that each keep their own old value-less entry still converge', () => {
    // Three replicas (own actors r2, r4, r8, each last touched long ago) of a key at the
    // bound; a new write makes 65 entries. Each keeps its own actor when it truncates.
    const old = ['r2', 'r4', 'r8'].map((actor, i) => ({ actor, counter: 1, values: [], ts: 1 + i }))
    const others = Array.from({ length: MAX - old.length }, (_, i) => ({ actor: `f${String(i).padStart(2, '0')}`, counter: 1, values: [], ts: 10 + i }))
    const base: DvvSet = { entries: [...others, ...old], anonymous: [] }
    const written = update(base, context(base), value('new', 100), 'n')
    const own = ['r2', 'r4', 'r8']
    const replicas = own.map((actor) => truncate(written, MAX, [actor]))
    // Anti-entropy rounds: every ordered pair merges, as the replica store does.
    for (let round = 0; round < 4; round++) {
      for (let x = 0; x < 3; x++) {
        for (let y = 0; y < 3; y++) {
          if (x !== y) replicas[x] = stored(sync(replicas[x] as DvvSet, replicas[y] as DvvSet), own[x] as string)
        }
      }
    }
    expect(replicas.every((r) => r.entries.length === MAX)).toBe(true)
    expect(clockEqual(replicas[0] as DvvSet, replicas[1] as DvvSet) && clockEqual(replicas[1] as DvvSet, replicas[2] as DvvSet)).toBe(true)
    // Every replica's own actor survived, stamped with the newest time the clock held.
    for (const actor of own) expect(replicas[0]?.entries.find((e) => e.actor === actor)?.ts).toBe(100)
    expect(names(replicas[0] as DvvSet)).toStrictEqual(['new'])
  })
})
