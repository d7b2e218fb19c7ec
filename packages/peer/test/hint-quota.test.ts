/**
 * The hint store's bounds (issue 11: a remote peer filled a 30 MB volume with hints and
 * the daemon died; 100 × 1 MiB hints were kept forever): byte quotas in total and per
 * target that refuse, never evict; an age limit on the injected clock; the byte count
 * rebuilt by open(); hints stored before records carried their time still open.
 */
import { describe, expect, it } from 'vitest'
import { clockEqual, emptyClock, update } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import { DEFAULT_CONFIG } from '../src/config.js'
import type { PeerConfig } from '../src/config.js'
import { StorageHintStore } from '../src/data/hint-store.js'
import { hintKey } from '../src/data/storage-keys.js'
import { sealClock } from '../src/data/stored-clock.js'
import { HintQuotaError } from '../src/errors.js'
import { silentLogger } from '../src/peer.js'
import { createMetrics } from '../src/metrics.js'
import { MemoryStorage } from '@ringstore/testkit'

const KIB = 1024
const DAY = 24 * 60 * 60 * 1000

/** A version of `key` holding `size` bytes, written by `actor`. */
const version = (size: number, actor = 'me:1'): DvvSet =>
  update(emptyClock(), [], { value: new Uint8Array(size).fill(7), ts: 1 }, actor)

type Quotas = Partial<Pick<PeerConfig, 'hintQuotaBytes' | 'hintQuotaPerTargetBytes' | 'hintMaxAgeMs'>>

async function openHints (quotas: Quotas = {}, storage = new MemoryStorage(), clock = { now: 1_000 }) {
  const metrics = createMetrics()
  const hints = new StorageHintStore({ id: 'me', storage, config: { ...DEFAULT_CONFIG, ...quotas }, log: silentLogger, metrics, now: () => clock.now })
  await hints.open()
  return { hints, storage, metrics, clock }
}

/** Every stored hint as [storage key, clock bytes length]: what a refusal must leave alone. */
async function stored (storage: MemoryStorage): Promise<Array<readonly [string, number]>> {
  const out: Array<readonly [string, number]> = []
  for await (const [key, value] of storage.scan('hints')) out.push([key, value.byteLength])
  return out
}

async function refusal (promise: Promise<unknown>): Promise<HintQuotaError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(HintQuotaError)
  return error as HintQuotaError
}

describe('hint quotas', () => {
  it('refuse a hint past the per-target quota, naming it and its figures, and drop nothing', async () => {
    const { hints, storage, metrics } = await openHints({ hintQuotaPerTargetBytes: 10 * KIB, hintQuotaBytes: 100 * KIB })
    for (let i = 0; i < 3; i++) await hints.add('b', `k${i}`, version(3 * KIB))
    const bytesBefore = hints.bytesFor('b')
    expect(bytesBefore).toBeGreaterThan(9 * KIB)
    const before = await stored(storage)
    const error = await refusal(hints.add('b', 'k3', version(3 * KIB)))
    expect([error.quota, error.target, error.usedBytes, error.limitBytes]).toEqual(['per-target', 'b', bytesBefore, 10 * KIB])
    expect(error.addBytes).toBeGreaterThan(3 * KIB)
    expect(error.message).toContain('per-target hint quota')
    // Growing a hint already held is refused the same way.
    await refusal(hints.add('b', 'k0', version(3 * KIB, 'other:1')))
    expect(metrics.hintsRefused).toEqual({ total: 0, 'per-target': 2 })
    expect(await stored(storage)).toEqual(before)
    expect([hints.pendingFor('b'), hints.bytesFor('b'), hints.bytes()]).toEqual([3, bytesBefore, bytesBefore])
    // Another target still has room: the quota is per target.
    await hints.add('c', 'k0', version(3 * KIB))
    expect(hints.targets()).toEqual(['b', 'c'])
  })

  it('refuse a hint past the total quota, whichever target it is for, and drop nothing', async () => {
    const { hints, storage, metrics } = await openHints({ hintQuotaPerTargetBytes: 8 * KIB, hintQuotaBytes: 10 * KIB })
    await hints.add('b', 'k', version(4 * KIB))
    await hints.add('c', 'k', version(4 * KIB))
    const total = hints.bytes()
    expect(total).toBe(hints.bytesFor('b') + hints.bytesFor('c'))
    const before = await stored(storage)
    const error = await refusal(hints.add('d', 'k', version(4 * KIB)))
    expect([error.quota, error.target, error.usedBytes, error.limitBytes]).toEqual(['total', 'd', total, 10 * KIB])
    expect(metrics.hintsRefused).toEqual({ total: 1, 'per-target': 0 })
    expect(await stored(storage)).toEqual(before)
    expect(hints.targets()).toEqual(['b', 'c'])
    // A delivered hint frees its bytes: the same hint is then taken.
    const batch = await hints.batch('b', 10)
    expect(await hints.remove('b', batch)).toBe(1)
    await hints.add('d', 'k', version(4 * KIB))
    expect(hints.targets()).toEqual(['c', 'd'])
  })

  it('hold exactly under concurrent adds of different keys', async () => {
    const { hints } = await openHints({ hintQuotaPerTargetBytes: 10 * KIB, hintQuotaBytes: 10 * KIB })
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => hints.add('b', `k${i}`, version(2 * KIB))))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4)
    expect(hints.bytes()).toBeLessThanOrEqual(10 * KIB)
    expect(hints.pending()).toBe(4)
  })

  it('are rebuilt by open(): bytes in total and per target survive a restart', async () => {
    const quotas = { hintQuotaPerTargetBytes: 10 * KIB, hintQuotaBytes: 100 * KIB }
    const { hints, storage } = await openHints(quotas)
    await hints.add('b', 'k1', version(3 * KIB))
    await hints.add('b', 'k2', version(5 * KIB))
    await hints.add('c', 'k1', version(1 * KIB))
    const figures = [hints.bytes(), hints.bytesFor('b'), hints.bytesFor('c')]
    let onDisk = 0
    for (const [key, length] of await stored(storage)) onDisk += new TextEncoder().encode(key).byteLength + length
    expect(figures[0]).toBe(onDisk)
    const reopened = await openHints(quotas, MemoryStorage.reopen(storage))
    expect([reopened.hints.bytes(), reopened.hints.bytesFor('b'), reopened.hints.bytesFor('c')]).toEqual(figures)
    // And the reopened store enforces the quota with them.
    expect((await refusal(reopened.hints.add('b', 'k3', version(3 * KIB)))).quota).toBe('per-target')
  })
})

describe('hint age limit', () => {
  it('expires a hint older than the limit by the injected clock, counted, and keeps younger ones', async () => {
    const { hints, metrics, clock, storage } = await openHints({ hintMaxAgeMs: 7 * DAY })
    await hints.add('b', 'old', version(10))
    clock.now += 3 * DAY
    await hints.add('b', 'young', version(10))
    await hints.add('c', 'young', version(10))
    // A merge into the old hint keeps its first time: re-sending does not keep a hint alive.
    await hints.add('b', 'old', version(10, 'other:1'))
    clock.now += 4 * DAY
    expect(await hints.expire()).toEqual(new Map())
    clock.now += 1
    expect(await hints.expire()).toEqual(new Map([['b', 1]]))
    expect(metrics.hintsExpired).toBe(1)
    expect((await hints.batch('b', 10)).map(([key]) => key)).toEqual(['young'])
    expect(hints.pending()).toBe(2)
    // The time is stored with the hint: a restart does not make it young again.
    const reopened = await openHints({ hintMaxAgeMs: 7 * DAY }, MemoryStorage.reopen(storage), clock)
    clock.now += 3 * DAY
    expect(await reopened.hints.expire()).toEqual(new Map([['b', 1], ['c', 1]]))
    expect(reopened.hints.pending()).toBe(0)
    expect(reopened.hints.bytes()).toBe(0)
  })
})

describe('hints stored before records carried their time', () => {
  it('open, count their bytes, deliver, and age from the first start that reads them', async () => {
    const storage = new MemoryStorage()
    const clock = version(100)
    // The layout before the header (hint-record.ts v1): the sealed clock alone.
    await storage.write([
      { ns: 'hints', key: hintKey('b', 'k1'), value: sealClock(clock) },
      { ns: 'hints', key: hintKey('c', 'k2'), value: sealClock(clock) }
    ])
    const time = { now: 5 * DAY }
    const { hints, metrics } = await openHints({ hintMaxAgeMs: 7 * DAY }, storage, time)
    expect([hints.pending(), hints.targets()]).toEqual([2, ['b', 'c']])
    expect(hints.bytes()).toBeGreaterThan(200)
    const [[key, held] = ['', emptyClock()]] = await hints.batch('b', 10)
    expect(key).toBe('k1')
    expect(clockEqual(held, clock)).toBe(true)
    expect(metrics.corruptRecords).toBe(0)
    // Stamped with the time of that start, which then survives the next one.
    time.now += 7 * DAY
    const again = await openHints({ hintMaxAgeMs: 7 * DAY }, MemoryStorage.reopen(storage), time)
    expect(again.hints.pending()).toBe(2)
    time.now += 1
    expect(await again.hints.expire()).toEqual(new Map([['b', 1], ['c', 1]]))
    expect(again.metrics.corruptRecords).toBe(0)
  })
})
