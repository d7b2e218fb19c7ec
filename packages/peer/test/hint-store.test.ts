import { describe, expect, it } from 'vitest'
import { clockEqual, context, countBound, emptyClock, siblings, update } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import { DEFAULT_CONFIG } from '../src/config.js'
import { StorageHintStore } from '../src/data/hint-store.js'
import { InvalidHintTargetError } from '../src/errors.js'
import { hintKey, hintRange, keyOfHintKey, parseHintKey } from '../src/data/storage-keys.js'
import { silentLogger } from '../src/peer.js'
import { createMetrics } from '../src/metrics.js'
import { MemoryStorage } from '@ringstore/testkit'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const write = (clock: DvvSet | null, value: string, actor: string): DvvSet =>
  update(clock ?? emptyClock(), clock === null ? [] : context(clock), { value: bytes(value), ts: 1 }, actor)

async function openHints (storage = new MemoryStorage(), config = DEFAULT_CONFIG) {
  const metrics = createMetrics()
  const hints = new StorageHintStore({ id: 'me', storage, config, log: silentLogger, metrics, now: () => 0 })
  await hints.open()
  return { hints, storage, metrics }
}

describe('hint keys', () => {
  it('round-trip target and key; one target is one range', () => {
    expect(parseHintKey(hintKey('peer-b', 'cart:1'))).toEqual(['peer-b', 'cart:1'])
    expect(hintKey('a', 'k').startsWith('a\u0000')).toBe(true)
    expect(parseHintKey('no-separator')).toBeUndefined()
  })

  it('a cursor range starts past the given key and stays within the target', () => {
    const keys = ['a', 'b', 'c', 'd'].map((k) => hintKey('t', k)).sort()
    const after = keys[1] as string
    const range = hintRange('t', keyOfHintKey('t', after))
    expect(keys.filter((k) => k >= range.gte && k < range.lt)).toEqual(keys.slice(2))
    // Another target's hints, even one whose id extends this one's, are outside it.
    const whole = hintRange('t')
    expect(['t2', 't\u0001', 's'].map((other) => hintKey(other, 'a')).filter((k) => k >= whole.gte && k < whole.lt)).toEqual([])
  })
})

describe('StorageHintStore', () => {
  it('adds, counts, batches and survives a reopen', async () => {
    const { hints, storage, metrics } = await openHints()
    await hints.add('b', 'k1', write(null, 'x', 'me:1'))
    await hints.add('b', 'k2', write(null, 'y', 'me:1'))
    await hints.add('c', 'k1', write(null, 'x', 'me:1'))
    expect(hints.pending()).toBe(3)
    expect(hints.targets()).toEqual(['b', 'c'])
    expect(metrics.hintsStored).toBe(3)
    const batch = await hints.batch('b', 10)
    expect(batch.map(([key]) => key).sort()).toEqual(['k1', 'k2'])
    expect(await hints.batch('b', 1)).toHaveLength(1)
    expect(await hints.batch('nobody', 10)).toEqual([])
    const reopened = await openHints(MemoryStorage.reopen(storage))
    expect(reopened.hints.pending()).toBe(3)
    expect(reopened.hints.targets()).toEqual(['b', 'c'])
  })

  it('keeps every entry of the version it is handed, past the clock bound', async () => {
    // A write's version may carry more entries than the bound: the records (ts 0) of what
    // its context superseded, kept in the write's own truncation. The target may hold those
    // values; a hint cut to the bound would deliver the write without them.
    // A plain count bound: the entries here are all young under the default horizon.
    const max = DEFAULT_CONFIG.truncation.entries
    const { hints } = await openHints(new MemoryStorage(), { ...DEFAULT_CONFIG, truncation: countBound(max) })
    const bare = Array.from({ length: max + 2 }, (_, i) => ({ actor: `a${String(i).padStart(3, '0')}:1`, counter: 1, values: [], ts: i < 2 ? 0 : 10 + i }))
    const version = update({ entries: bare, anonymous: [] }, [], { value: bytes('w'), ts: 100 }, 'me:1')
    await hints.add('b', 'k', version)
    const [[, held] = ['', emptyClock()]] = await hints.batch('b', 1)
    expect(clockEqual(held, version)).toBe(true)
    // Merged with a later hint of the key, the new version's entries still all stay.
    const later = update(version, context(version), { value: bytes('w2'), ts: 200 }, 'me:1')
    await hints.add('b', 'k', later)
    const [[, merged] = ['', emptyClock()]] = await hints.batch('b', 1)
    expect(merged.entries.map((e) => e.actor)).toStrictEqual(later.entries.map((e) => e.actor))
  })

  it('reads on past a cursor: every hint of the target once, none of another target', async () => {
    const { hints } = await openHints()
    const keys = Array.from({ length: 7 }, (_, i) => `k${i}`)
    for (const key of keys) await hints.add('b', key, write(null, key, 'me:1'))
    await hints.add('c', 'k0', write(null, 'x', 'me:1'))
    const seen: string[] = []
    let after: string | undefined
    for (;;) {
      const batch = await hints.batch('b', 3, after)
      if (batch.length === 0) break
      seen.push(...batch.map(([key]) => key))
      after = batch.at(-1)?.[0]
    }
    expect(seen).toHaveLength(7)
    expect([...seen].sort()).toEqual(keys)
    // The cursor is exclusive, and past the last hint there is nothing.
    expect(await hints.batch('b', 10, seen[6])).toEqual([])
    expect((await hints.batch('b', 10, seen[5])).map(([key]) => key)).toEqual([seen[6]])
  })

  it('a target whose id is a prefix of another does not see its hints', async () => {
    const { hints } = await openHints()
    await hints.add('b', 'k', write(null, 'x', 'me:1'))
    await hints.add('bb', 'k', write(null, 'y', 'me:1'))
    expect((await hints.batch('b', 10)).map(([, c]) => siblings(c).length)).toEqual([1])
    expect(await hints.batch('b', 10)).toHaveLength(1)
  })

  it('merges two hints for the same key and target', async () => {
    const { hints } = await openHints()
    await hints.add('b', 'k', write(null, 'x', 'me:1'))
    await hints.add('b', 'k', write(null, 'y', 'other:1'))
    expect(hints.pending()).toBe(1)
    const [[, clock] = ['', emptyClock()]] = await hints.batch('b', 10)
    expect(siblings(clock)).toHaveLength(2)
  })

  it('concurrent adds for one key lose nothing', async () => {
    const { hints } = await openHints()
    await Promise.all(Array.from({ length: 10 }, (_, i) => hints.add('b', 'k', write(null, `v${i}`, `a${i}:1`))))
    const [[, clock] = ['', emptyClock()]] = await hints.batch('b', 10)
    expect(siblings(clock)).toHaveLength(10)
  })

  it('removes only delivered hints that did not change meanwhile', async () => {
    const { hints } = await openHints()
    await hints.add('b', 'k1', write(null, 'x', 'me:1'))
    await hints.add('b', 'k2', write(null, 'y', 'me:1'))
    const batch = await hints.batch('b', 10)
    // A newer version of k2 arrives while the batch is in flight.
    await hints.add('b', 'k2', write(null, 'z', 'other:1'))
    expect(await hints.remove('b', batch)).toBe(1)
    expect(hints.pending()).toBe(1)
    const [[key, clock] = ['', emptyClock()]] = await hints.batch('b', 10)
    expect(key).toBe('k2')
    expect(siblings(clock)).toHaveLength(2)
    expect(await hints.remove('b', [[key, clock]])).toBe(1)
    expect(hints.pending()).toBe(0)
    expect(hints.targets()).toEqual([])
  })

  it('drops a corrupt hint instead of retrying it forever', async () => {
    const { hints, storage, metrics } = await openHints()
    const good = write(null, 'x', 'me:1')
    await hints.add('b', 'good', good)
    await hints.add('b', 'bad', write(null, 'y', 'me:1'))
    await storage.write([{ ns: 'hints', key: hintKey('b', 'bad'), value: bytes('garbage') }])
    const batch = await hints.batch('b', 10)
    expect(batch).toHaveLength(1)
    expect(clockEqual(batch[0]?.[1] as DvvSet, good)).toBe(true)
    expect(metrics.corruptRecords).toBeGreaterThan(0)
    expect(hints.pending()).toBe(1)
  })

  it('refuses hints for itself or for ids it cannot store', async () => {
    const { hints } = await openHints()
    const v = write(null, 'x', 'me:1')
    expect(() => hints.add('me', 'k', v)).toThrow(InvalidHintTargetError)
    expect(() => hints.add('', 'k', v)).toThrow(InvalidHintTargetError)
    expect(() => hints.add('a\u0000b', 'k', v)).toThrow(InvalidHintTargetError)
  })
})
