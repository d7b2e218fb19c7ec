import { describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import {
  CorruptRecordError, MerkleTree, clockDigest, clockEqual, context, countBound, emptyClock, liveSiblings, partitionOf, sealRecord, siblings, sync, update
} from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import { DEFAULT_CONFIG } from '../src/config.js'
import type { Logger } from '../src/interfaces.js'
import { createMetrics } from '../src/metrics.js'
import { EPOCH_META_KEYS, epochOfActor } from '../src/data/actor-epoch.js'
import { StorageReplicaStore } from '../src/data/replica-store.js'
import { dataKey, keyOfDataKey } from '../src/data/storage-keys.js'
import { CORRUPT_DIGEST } from '../src/data/stored-clock.js'
import { MemoryStorage } from '@ringstore/testkit'

const Q = 64
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))

function recordingLogger (): Logger & { errors: string[] } {
  const errors: string[] = []
  return { errors, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (msg) => { errors.push(msg) } }
}

async function openStore (storage = new MemoryStorage(), config: Partial<typeof DEFAULT_CONFIG> = {}) {
  const log = recordingLogger()
  const metrics = createMetrics()
  const store = new StorageReplicaStore({ id: 'p1', storage, config: { ...DEFAULT_CONFIG, q: Q, ...config }, log, metrics })
  await store.open()
  return { store, storage, log, metrics }
}

const write = (clock: DvvSet | null, value: string | null, actor: string, ts = 1, ctx = clock === null ? [] : context(clock)): DvvSet =>
  update(clock ?? emptyClock(), ctx, { value: value === null ? null : bytes(value), ts }, actor)

/** A read-modify-write through `stage`, awaited until durable: the version as stored. */
async function writeDurably (store: StorageReplicaStore, key: string, fn: (current: DvvSet | null, actor: string) => DvvSet): Promise<DvvSet> {
  const staged = await store.stage(key, (current, actor) => ({ next: fn(current, actor) }))
  expect(await staged.durable).toBe(true)
  return staged.clock
}

describe('storage keys', () => {
  it('prefix the key with its hash so partitions are contiguous, and round-trip', () => {
    const key = 'cart:42/a b'
    expect(dataKey(key)).toMatch(/^[0-9a-f]{8}\//)
    expect(keyOfDataKey(dataKey(key))).toBe(key)
  })

  it('keep a partition in one contiguous range', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`)
    const byStorageOrder = [...keys].sort((a, b) => (dataKey(a) < dataKey(b) ? -1 : 1))
    const partitions = byStorageOrder.map((key) => partitionOf(key, Q))
    // Storage order visits each partition once: its keys are never interleaved with others'.
    expect(partitions.filter((p, i) => i === 0 || p !== partitions[i - 1])).toEqual([...new Set(partitions)])
  })

  it('parse the epoch of own actors only', () => {
    expect(epochOfActor('p1:7', 'p1')).toBe(7)
    expect(epochOfActor('p10:7', 'p1')).toBeUndefined()
    expect(epochOfActor('p1:x', 'p1')).toBeUndefined()
  })
})

describe('StorageReplicaStore', () => {
  it('starts at epoch 1 and keeps it across reopen', async () => {
    const { store, storage } = await openStore()
    expect(store.actor()).toBe('p1:1')
    const again = await openStore(MemoryStorage.reopen(storage))
    expect(again.store.actor()).toBe('p1:1')
  })

  it('a fresh store starts at the current time as epoch, so a wiped store under a reused id never reuses old dots', async () => {
    const log = recordingLogger()
    const deps = { id: 'p1', config: { ...DEFAULT_CONFIG, q: Q }, log, metrics: createMetrics() }
    const first = new StorageReplicaStore({ ...deps, storage: new MemoryStorage(), now: () => 5_000 })
    await first.open()
    expect(first.actor()).toBe('p1:5000')
    // Storage wiped, same identity, later: the new epoch is past every epoch used before.
    const wiped = new StorageReplicaStore({ ...deps, storage: new MemoryStorage(), now: () => 9_000 })
    await wiped.open()
    expect(wiped.actor()).toBe('p1:9000')
    // Reopening keeps the stored epoch instead of jumping to the clock.
    const storage = new MemoryStorage()
    const a = new StorageReplicaStore({ ...deps, storage, now: () => 7_000 })
    await a.open()
    const b = new StorageReplicaStore({ ...deps, storage: MemoryStorage.reopen(storage), now: () => 8_000 })
    await b.open()
    expect(b.actor()).toBe('p1:7000')
  })

  it('merges durably and returns the merged version', async () => {
    const { store, storage } = await openStore()
    const a = write(null, 'a', 'x:1')
    const b = write(null, 'b', 'y:1')
    await store.merge('k', a)
    const merged = await store.merge('k', b)
    expect(liveSiblings(merged).map((s) => text(s.value)).sort()).toEqual(['a', 'b'])
    const reopened = await openStore(MemoryStorage.reopen(storage))
    expect(clockEqual(await reopened.store.get('k') as DvvSet, merged)).toBe(true)
  })

  it('concurrent merges of one key lose nothing', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 2, max: 12 }), async (writers) => {
      const { store } = await openStore()
      const versions = Array.from({ length: writers }, (_, i) => write(null, `v${i}`, `w${i}:1`, i))
      await Promise.all(versions.map((v) => store.merge('hot', v)))
      const stored = await store.get('hot') as DvvSet
      expect(siblings(stored).map((s) => text(s.value)).sort()).toEqual(versions.map((_, i) => `v${i}`).sort())
    }), { numRuns: 40 })
  })

  it('concurrent stage calls see each other (per-key serialisation)', async () => {
    const { store } = await openStore()
    await Promise.all(Array.from({ length: 20 }, () => writeDurably(store, 'counter', (cur, actor) => write(cur, 'x', actor))))
    const stored = await store.get('counter') as DvvSet
    expect(stored.entries[0]?.counter).toBe(20)
    expect(siblings(stored)).toHaveLength(1)
  })

  it('mergeMany writes a batch in one storage write and merges duplicates', async () => {
    const { store, storage } = await openStore()
    let writes = 0
    const original = storage.write.bind(storage)
    storage.write = async (ops) => { writes++; await original(ops) }
    await store.mergeMany([
      ['a', write(null, 'a1', 'x:1')],
      ['b', write(null, 'b1', 'x:1')],
      ['a', write(null, 'a2', 'y:1')]
    ])
    expect(writes).toBe(1)
    expect(siblings(await store.get('a') as DvvSet)).toHaveLength(2)
    expect(store.size()).toBe(2)
    // Merging what is already there writes nothing.
    await store.mergeMany([['b', write(null, 'b1', 'x:1')]])
    expect(writes).toBe(1)
  })

  it('keeps the Merkle tree of each partition in step with the data', async () => {
    const { store, storage } = await openStore()
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`)
    for (const key of keys) await store.merge(key, write(null, key, 'x:1'))
    const expected = new Map<number, MerkleTree>()
    for (const key of keys) {
      const p = partitionOf(key, Q)
      if (!expected.has(p)) expected.set(p, new MerkleTree())
      expected.get(p)?.set(key, clockDigest(await store.get(key) as DvvSet))
    }
    expect(store.partitions()).toEqual([...expected.keys()].sort((a, b) => a - b))
    for (const [p, tree] of expected) expect(store.tree(p).root()).toEqual(tree.root())
    // Rebuilt from storage on open: the same roots.
    const reopened = await openStore(MemoryStorage.reopen(storage))
    for (const [p, tree] of expected) expect(reopened.store.tree(p).root()).toEqual(tree.root())
    expect(reopened.store.size()).toBe(keys.length)
    // keysInPartition lists exactly the keys of that partition.
    const [p0] = [...expected.keys()]
    const listed: string[] = []
    for await (const [key] of store.keysInPartition(p0 as number)) listed.push(key)
    expect(listed.sort()).toEqual(keys.filter((k) => partitionOf(k, Q) === p0).sort())
  })

  it('an empty partition has the empty tree', async () => {
    const { store } = await openStore()
    expect(store.tree(3).root()).toEqual(new Uint8Array(16))
    expect(store.partitions()).toEqual([])
  })

  it('never answers a corrupt record as absent: get throws CorruptRecordError, reports it and marks its Merkle leaf', async () => {
    const { store, storage, log, metrics } = await openStore()
    const good = write(null, 'good', 'x:1')
    await store.merge('k', good)
    const raw = await storage.get('data', dataKey('k')) as Uint8Array
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 0xff
    await storage.write([{ ns: 'data', key: dataKey('k'), value: raw }])
    await expect(store.get('k')).rejects.toThrow(CorruptRecordError)
    await expect(store.getWithDigest('k')).rejects.toThrow(CorruptRecordError)
    // Bulk reads (anti-entropy, transfer) skip it: they then take the other side's version.
    expect(await store.getMany(['k'])).toEqual([null])
    expect(metrics.corruptRecords).toBe(3)
    expect(log.errors.length).toBe(3)
    // The leaf no longer claims the good version: anti-entropy sees the difference.
    await vi.waitFor(() => { expect(store.digest('k')).toEqual(CORRUPT_DIGEST) })
    expect(store.digest('k')).not.toEqual(clockDigest(good))
    // A merge replaces it with the incoming version (read repair, anti-entropy), leaf included.
    const fresh = write(null, 'repaired', 'y:1')
    expect(clockEqual(await store.merge('k', fresh), fresh)).toBe(true)
    expect(clockEqual(await store.get('k') as DvvSet, fresh)).toBe(true)
    expect(store.digest('k')).toEqual(clockDigest(fresh))
  })

  it('a merge of many keys replaces their corrupt records too', async () => {
    const { store, storage } = await openStore()
    await store.mergeMany([['a', write(null, 'a', 'x:1')], ['b', write(null, 'b', 'x:1')]])
    await storage.write([{ ns: 'data', key: dataKey('a'), value: bytes('garbage') }])
    const incoming = write(null, 'a2', 'y:1')
    await store.mergeMany([['a', incoming]])
    expect(clockEqual(await store.get('a') as DvvSet, incoming)).toBe(true)
    expect(store.digest('a')).toEqual(clockDigest(incoming))
  })

  it('marks corrupt records on open (a leaf no good replica has) and moves to a new epoch (own dots may be lost)', async () => {
    const { storage } = await openStore()
    await storage.write([{ ns: 'data', key: dataKey('bad'), value: sealRecord(bytes('not cbor')) }])
    const reopened = await openStore(MemoryStorage.reopen(storage))
    expect(reopened.store.digest('bad')).toEqual(CORRUPT_DIGEST)
    expect(reopened.store.size()).toBe(1)
    expect(reopened.store.actor()).toBe('p1:2')
    expect(reopened.metrics.corruptRecords).toBe(1)
    for await (const entry of reopened.store.entries()) expect.unreachable(`served ${entry[0]}`)
  })

  it('minting on top of a corrupt record first bumps the epoch', async () => {
    const { store, storage } = await openStore()
    await writeDurably(store, 'k', (cur, actor) => write(cur, 'v1', actor))
    await storage.write([{ ns: 'data', key: dataKey('k'), value: bytes('garbage') }])
    const next = await writeDurably(store, 'k', (cur, actor) => write(cur, 'v2', actor))
    expect(store.actor()).toBe('p1:2')
    expect(next.entries.map((e) => e.actor)).toEqual(['p1:2'])
  })

  it('dropIfUnchanged deletes only an unchanged version', async () => {
    const { store } = await openStore()
    const v1 = write(null, 'a', 'x:1')
    await store.merge('k', v1)
    const stale = write(null, 'zzz', 'x:1')
    expect(await store.dropIfUnchanged('k', stale)).toBe(false)
    expect(await store.dropIfUnchanged('absent', v1)).toBe(false)
    expect(await store.dropIfUnchanged('k', v1)).toBe(true)
    expect(await store.get('k')).toBeNull()
    expect(store.size()).toBe(0)
    expect(store.tree(partitionOf('k', Q)).root()).toEqual(new Uint8Array(16))
  })

  it('dropping a key holding our own dots bumps the epoch durably before the delete', async () => {
    const { store, storage } = await openStore()
    const mine = await writeDurably(store, 'k', (cur, actor) => write(cur, 'v', actor))
    const seen: string[] = []
    const original = storage.write.bind(storage)
    storage.write = async (ops) => {
      seen.push(ops.map((op) => `${op.ns}:${op.value === null ? 'del' : 'put'}`).join(','))
      await original(ops)
    }
    expect(await store.dropIfUnchanged('k', mine)).toBe(true)
    // One atomic write: both epoch copies and the delete.
    expect(seen).toEqual(['meta:put,meta:put,data:del'])
    expect(store.actor()).toBe('p1:2')
    const reopened = await openStore(MemoryStorage.reopen(storage))
    expect(reopened.store.actor()).toBe('p1:2')
    // The next write of the key mints from the new actor: no dot is reused.
    const again = await writeDurably(store, 'k', (cur, actor) => write(cur, 'again', actor))
    expect(again.entries.map((e) => [e.actor, e.counter])).toEqual([['p1:2', 1]])
  })

  it('dropping a key without our own dots keeps the epoch', async () => {
    const { store } = await openStore()
    const theirs = write(null, 'v', 'other:1')
    await store.merge('k', theirs)
    expect(await store.dropIfUnchanged('k', theirs)).toBe(true)
    expect(store.actor()).toBe('p1:1')
  })

  it('recovers the epoch from the stored clocks when both epoch records are lost', async () => {
    const { store, storage } = await openStore()
    await writeDurably(store, 'k', (cur, actor) => write(cur, 'v', actor))
    await storage.write(EPOCH_META_KEYS.map((key) => ({ ns: 'meta' as const, key, value: bytes('junk') })))
    const reopened = await openStore(MemoryStorage.reopen(storage))
    expect(reopened.store.actor()).toBe('p1:2')
  })

  it('one corrupt epoch copy is enough to keep the epoch', async () => {
    const { store, storage } = await openStore()
    await writeDurably(store, 'k', (cur, actor) => write(cur, 'v', actor))
    await store.dropIfUnchanged('k', await store.get('k') as DvvSet)
    await storage.write([{ ns: 'meta', key: EPOCH_META_KEYS[0], value: bytes('junk') }])
    const reopened = await openStore(MemoryStorage.reopen(storage))
    expect(reopened.store.actor()).toBe('p1:2')
  })

  it('truncates clocks but never drops its own actor', async () => {
    const { store } = await openStore(new MemoryStorage(), { truncation: countBound(2) })
    let clock = await writeDurably(store, 'k', (cur, actor) => write(cur, 'mine', actor, 1))
    for (let i = 0; i < 5; i++) {
      const other = write(clock, `o${i}`, `other${i}:1`, 10 + i)
      // A context covering everything leaves value-less entries behind.
      clock = await store.merge('k', write(other, 'last', `other${i}:1`, 20 + i))
    }
    expect(clock.entries.length).toBeLessThanOrEqual(3)
    expect(clock.entries.some((e) => e.actor === store.actor())).toBe(true)
  })

  it('keeps the record of what a write superseded in that write\'s truncation, also for an actor it never held', async () => {
    // This store's clock is at the bound (2 entries) with recent value-less ones; the client
    // read 'v' (actor a:1) at another replica, which this store never held. The write's
    // version must still say a:1 is superseded, so the replica holding 'v' drops it.
    const { store } = await openStore(new MemoryStorage(), { truncation: countBound(2) })
    let clock = await writeDurably(store, 'k', (cur, actor) => write(cur, 'mine', actor, 10))
    clock = await store.merge('k', write(write(clock, 'o', 'o:1', 20), 'o2', 'o:1', 21))
    const elsewhere = write(null, 'v', 'a:1', 5)
    const read = [...context(clock), ...context(elsewhere)].sort((x, y) => (x[0] < y[0] ? -1 : 1))
    const written = await writeDurably(store, 'k', (cur, actor) => write(cur, 'w', actor, 30, read))
    expect(written.entries.find((e) => e.actor === 'a:1')).toMatchObject({ counter: 1, values: [] })
    const atTheOtherReplica = await (await openStore(new MemoryStorage())).store.merge('k', elsewhere)
    expect(siblings(sync(atTheOtherReplica, written)).map((s) => text(s.value))).toEqual(['w'])
  })

  it('keeps the records of 200 writers within the horizon: a lagging replica\'s superseded value does not come back', async () => {
    // The default bounds (core's DEFAULT_TRUNCATION). 'v0' is held by a replica that then
    // lags while 200 coordinators, a second apart, each supersede the last write here.
    const { store, metrics } = await openStore()
    const lagging = write(null, 'v0', 'w0:1', 1_000)
    let clock = await store.merge('k', lagging)
    for (let i = 1; i <= 200; i++) clock = await store.merge('k', write(clock, `v${i}`, `w${i}:1`, 1_000 + i * 1_000))
    expect(clock.entries).toHaveLength(201)
    expect(metrics.youngRecordsDropped).toBe(0)
    // The lagging replica's version comes back (anti-entropy, a late hint): v0 stays gone.
    clock = await store.merge('k', lagging)
    expect(siblings(clock).map((s) => text(s.value))).toEqual(['v200'])
    // Under a plain 64-entry bound the record of v0's supersession was long gone.
    const { store: counted } = await openStore(new MemoryStorage(), { truncation: countBound(64) })
    let c = await counted.merge('k', lagging)
    for (let i = 1; i <= 200; i++) c = await counted.merge('k', write(c, `v${i}`, `w${i}:1`, 1_000 + i * 1_000))
    expect(siblings(await counted.merge('k', lagging)).map((s) => text(s.value)).sort()).toEqual(['v0', 'v200'])
  })

  it('counts the young records it drops past the young bound', async () => {
    const { store, metrics } = await openStore()
    let clock = await store.merge('k', write(null, 'v0', 'w0:1', 1_000))
    for (let i = 1; i <= 300; i++) clock = await store.merge('k', write(clock, `v${i}`, `w${i}:1`, 1_000 + i * 1_000))
    expect(clock.entries).toHaveLength(256)
    expect(metrics.youngRecordsDropped).toBe(301 - 256)
  })

  it('applies last-write-wins for configured keys', async () => {
    const { store } = await openStore(new MemoryStorage(), { lww: (key) => key.startsWith('lww:') })
    await store.merge('lww:a', write(null, 'old', 'x:1', 1))
    const merged = await store.merge('lww:a', write(null, 'new', 'y:1', 2))
    expect(liveSiblings(merged).map((s) => text(s.value))).toEqual(['new'])
    await store.merge('plain', write(null, 'old', 'x:1', 1))
    expect(siblings(await store.merge('plain', write(null, 'new', 'y:1', 2)))).toHaveLength(2)
  })
})
