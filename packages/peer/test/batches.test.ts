import { describe, expect, it } from 'vitest'
import { LIMITS, clockEqual, encodeRequest, sync, syncAll } from '@ringstore/core'
import type { DvvSet, Key } from '@ringstore/core'
import { partBatches, versionParts } from '../src/protocol/batches.js'

/** A version of `actors` actors, each holding `values` values of `size` bytes. */
function version (actors: number, values: number, size: number, tag = 0): DvvSet {
  const entries = Array.from({ length: actors }, (_, a) => ({
    actor: `peer-${String(a).padStart(3, '0')}:1`,
    counter: values,
    values: Array.from({ length: values }, (_, v) => ({ value: new Uint8Array(size).fill((tag + a + v) % 256), ts: 5 })),
    ts: 5
  }))
  return { entries, anonymous: [] }
}

describe('partBatches', () => {
  it('cuts by bytes as well as by key count: every batch encodes as one replica-put-many frame', () => {
    // 40 keys of 700 kB each: 28 MB, far below LIMITS.batchKeys keys but many frames.
    const items: Array<readonly [Key, DvvSet]> = Array.from({ length: 40 }, (_, i) => [`k${i}`, version(1, 1, 700_000, i)] as const)
    const batches = partBatches(items)
    expect(batches.length).toBeGreaterThan(3)
    for (const batch of batches) expect(encodeRequest({ type: 'replica-put-many', items: batch.items }).byteLength).toBeLessThanOrEqual(LIMITS.frameBytes)
    expect(batches.flatMap((b) => b.complete.map(([key]) => key))).toEqual(items.map(([key]) => key))
  })

  it('sends a version larger than a frame as parts, and counts it complete with its last part only', () => {
    const big = version(3, 4, 900_000) // 10.8 MB: three entries at ~3.6 MB
    const small = version(1, 1, 10)
    const items: Array<readonly [Key, DvvSet]> = [['before', small], ['big', big], ['after', small]]
    const batches = partBatches(items)
    for (const batch of batches) expect(encodeRequest({ type: 'replica-put-many', items: batch.items }).byteLength).toBeLessThanOrEqual(LIMITS.frameBytes)
    const parts = batches.flatMap((b) => b.items.filter(([key]) => key === 'big').map(([, part]) => part))
    expect(parts.length).toBeGreaterThan(1)
    expect(clockEqual(syncAll(parts), big)).toBe(true)
    // 'big' is complete in the batch carrying its last part, and only there; the whole version is named.
    const completing = batches.filter((b) => b.complete.some(([key]) => key === 'big'))
    expect(completing).toHaveLength(1)
    const last = batches.indexOf(completing[0] as (typeof batches)[number])
    expect(batches.slice(last + 1).some((b) => b.items.some(([key]) => key === 'big'))).toBe(false)
    expect(completing[0]?.complete.find(([key]) => key === 'big')?.[1]).toBe(big)
    expect(batches.flatMap((b) => b.complete.map(([key]) => key))).toEqual(['before', 'big', 'after'])
  })

  it('versionParts: a version that fits is sent whole; merging the parts into a replica equals merging the whole', () => {
    const small = version(2, 2, 100)
    expect(versionParts(small)).toEqual([small])
    const big = version(4, 3, 900_000, 7)
    const replica = version(2, 1, 50, 100)
    expect(clockEqual(versionParts(big).reduce(sync, replica), sync(replica, big))).toBe(true)
  })
})
