/**
 * The cache of decoded clocks (src/data/opened-clocks.ts): it only ever saves a decode. A
 * record that changed (whoever wrote it, a buffer reused by the store included) is decoded
 * again; the budget holds.
 */
import { describe, expect, it } from 'vitest'
import { context, emptyClock, update } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import { createMetrics } from '../src/metrics.js'
import { silentLogger } from '../src/peer.js'
import { OPENED_CLOCK_MIN_ENTRIES, OpenedClocks } from '../src/data/opened-clocks.js'
import { openClock, sealClock } from '../src/data/stored-clock.js'

/** A version with 40 entries (records of earlier writers), the kind worth caching, holding `value`. */
function version (value: string): DvvSet {
  let clock = emptyClock()
  for (let i = 0; i < 40; i++) clock = update(clock, context(clock), { value: new TextEncoder().encode(`w${i}`), ts: i }, `w${String(i).padStart(2, '0')}:1`)
  return update(clock, context(clock), { value: new TextEncoder().encode(value), ts: 100 }, 'a:1')
}
const report = { log: silentLogger, metrics: createMetrics() }

describe('OpenedClocks', () => {
  it('serves the clock decoded from the very same bytes, and decodes changed bytes again', () => {
    const opened = new OpenedClocks(1 << 20)
    const v1 = sealClock(version('one'))
    const first = openClock(v1, { ns: 'data', key: 'k' }, report, opened)
    expect(openClock(v1.slice(), { ns: 'data', key: 'k' }, report, opened)).toBe(first)
    // Another writer stored another version: the cache does not answer for it.
    const v2 = sealClock(version('two'))
    const second = openClock(v2, { ns: 'data', key: 'k' }, report, opened)
    expect(second).not.toBe(first)
    expect(second).toStrictEqual(version('two'))
    // A corrupt record is reported and never cached, whatever was cached before.
    const torn = v2.slice()
    torn[torn.length - 1] = (torn[torn.length - 1] ?? 0) ^ 0xff
    expect(openClock(torn, { ns: 'data', key: 'k' }, report, opened)).toBeNull()
    expect(report.metrics.corruptRecords).toBe(1)
  })

  it('keeps its own copy of the bytes: a buffer the store reuses cannot make a stale hit', () => {
    const opened = new OpenedClocks(1 << 20)
    const v1 = sealClock(version('one'))
    const v2 = sealClock(version('two'))
    expect(v1.length).toBe(v2.length)
    const shared = new Uint8Array(v1.length)
    shared.set(v1)
    openClock(shared, { ns: 'data', key: 'k' }, report, opened)
    // The store reuses its buffer for the next read of the key, which now holds v2.
    shared.set(v2)
    expect(openClock(shared, { ns: 'data', key: 'k' }, report, opened)).toStrictEqual(version('two'))
  })

  it('holds its byte budget, evicting the least recently used', () => {
    const one = sealClock(version('x'))
    const opened = new OpenedClocks(one.length * 4)
    for (const key of ['a', 'b', 'c', 'd']) opened.remember(key, one, version('x'))
    expect(opened.lookup('a', one)).toBeDefined() // a is now the most recently used
    opened.remember('e', one, version('x'))
    expect(opened.bytes).toBeLessThanOrEqual(one.length * 4)
    expect(opened.lookup('b', one)).toBeUndefined()
    expect(opened.lookup('a', one)).toBeDefined()
    expect(opened.lookup('e', one)).toBeDefined()
    // A clock of a few entries is not kept: it decodes about as fast as it compares.
    const small = update(emptyClock(), [], { value: new Uint8Array([1]), ts: 1 }, 'a:1')
    expect(small.entries.length).toBeLessThan(OPENED_CLOCK_MIN_ENTRIES)
    opened.remember('small', sealClock(small), small)
    expect(opened.lookup('small', sealClock(small))).toBeUndefined()
    // A record over a quarter of the budget is not kept at all.
    const big = new Uint8Array(one.length * 2)
    opened.remember('big', big, version('x'))
    expect(opened.lookup('big', big)).toBeUndefined()
  })
})
