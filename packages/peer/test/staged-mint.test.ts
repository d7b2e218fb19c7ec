/**
 * Staged mints (replica-store.ts): a coordinator sends a new version to its replicas while
 * its own copy is still being written. A replica may then hold a dot the local disk never
 * got (crash or failed write before it was durable), so the actor epoch must move on after
 * an unclean stop and after a failed staged write; otherwise the next mint would reuse the
 * counter for another value and replicas would take the new write as already seen.
 */
import { describe, expect, it } from 'vitest'
import { context, emptyClock, siblings, update } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import { DEFAULT_CONFIG } from '../src/config.js'
import type { Namespace, ScanOptions, Storage, StorageOp } from '../src/interfaces.js'
import { createMetrics } from '../src/metrics.js'
import { silentLogger } from '../src/peer.js'
import { CLEAN_SHUTDOWN_KEY, StorageReplicaStore } from '../src/data/replica-store.js'
import { MemoryStorage } from '@ringstore/testkit'
import { settle } from '@ringstore/testkit'
import { bytes, findKey, primariesOf, startCluster, text } from './cluster-helpers.js'

/**
 * A disk whose writes can be held back (not yet durable), failed, or lost in a crash; the
 * durable state is the MemoryStorage underneath.
 */
class GatedStorage implements Storage {
  hold = false
  failWrites = false
  #held: Array<{ ops: readonly StorageOp[], resolve: () => void }> = []
  #dead = false
  constructor (readonly inner: MemoryStorage) {}
  async get (ns: Namespace, key: string): Promise<Uint8Array | undefined> { return await this.inner.get(ns, key) }
  async getMany (ns: Namespace, keys: readonly string[]): Promise<Array<Uint8Array | undefined>> { return await this.inner.getMany(ns, keys) }
  scan (ns: Namespace, options?: ScanOptions): AsyncIterable<readonly [string, Uint8Array]> { return this.inner.scan(ns, options) }
  async close (): Promise<void> { await this.inner.close() }

  async write (ops: readonly StorageOp[]): Promise<void> {
    if (this.#dead) return await new Promise<void>(() => {})
    if (this.failWrites) throw new Error('disk full')
    if (!this.hold) return await this.inner.write(ops)
    await new Promise<void>((resolve) => { this.#held.push({ ops, resolve }) })
  }

  get heldWrites (): number { return this.#held.length }

  /** The held writes become durable, in order. */
  async release (): Promise<void> {
    for (const { ops, resolve } of this.#held.splice(0)) {
      await this.inner.write(ops)
      resolve()
    }
  }

  /** The process dies: held writes never reach the disk and never settle. */
  crash (): void {
    this.#dead = true
    this.#held = []
  }
}

async function openStore (storage: Storage, stagedMints = true) {
  const store = new StorageReplicaStore({ id: 'p1', storage, config: { ...DEFAULT_CONFIG, q: 16 }, log: silentLogger, metrics: createMetrics(), stagedMints })
  await store.open()
  return store
}

/** Mint a new value of `key` with the store's actor, as the coordinator does. */
function mint (store: StorageReplicaStore, key: string, value: string, onStaged?: (next: DvvSet) => void): Promise<DvvSet> {
  return store.apply(key, (current) => update(current ?? emptyClock(), current === null ? [] : context(current), { value: bytes(value), ts: 1 }, store.actor()), onStaged)
}

describe('staged mints in the replica store', () => {
  it('onStaged runs before the write is durable when staging, after it otherwise', async () => {
    for (const stagedMints of [true, false]) {
      const gated = new GatedStorage(new MemoryStorage())
      const store = await openStore(gated, stagedMints)
      gated.hold = true
      let stagedWith: DvvSet | undefined
      const done = mint(store, 'k', 'v', (next) => { stagedWith = next })
      await settle()
      expect(gated.heldWrites).toBe(1)
      expect(stagedWith !== undefined).toBe(stagedMints)
      await gated.release()
      const clock = await done
      expect(stagedWith).toEqual(clock)
    }
  })

  it('a clean close keeps the epoch; a start without one moves to a new epoch', async () => {
    const disk = new MemoryStorage()
    const first = await openStore(disk)
    await mint(first, 'k', 'v')
    await first.close()
    const second = await openStore(MemoryStorage.reopen(disk))
    expect(second.epoch).toBe(first.epoch)
    // No close: a crash. The marker was removed at open, so the next start bumps.
    const third = await openStore(MemoryStorage.reopen(disk))
    expect(third.epoch).toBe(second.epoch + 1)
    expect(await disk.get('meta', CLEAN_SHUTDOWN_KEY)).toBeUndefined()
  })

  it('a store that never stages is clean throughout: no bump after a crash', async () => {
    const disk = new MemoryStorage()
    const first = await openStore(disk, false)
    await mint(first, 'k', 'v')
    const second = await openStore(MemoryStorage.reopen(disk), false)
    expect(second.epoch).toBe(first.epoch)
    // A staging run after it, then a crash: the next start bumps, whatever its mode.
    const third = await openStore(MemoryStorage.reopen(disk), true)
    const fourth = await openStore(MemoryStorage.reopen(disk), false)
    expect(fourth.epoch).toBe(third.epoch + 1)
  })

  it('crash before the staged write is durable: the restarted store mints from a new actor', async () => {
    const inner = new MemoryStorage()
    const gated = new GatedStorage(inner)
    const store = await openStore(gated)
    const v1 = await mint(store, 'k', 'one')
    gated.hold = true
    let sent: DvvSet | undefined
    void mint(store, 'k', 'two', (next) => { sent = next })
    await settle()
    expect(sent).toBeDefined()
    gated.crash()
    const restarted = await openStore(MemoryStorage.reopen(inner))
    expect(await restarted.get('k')).toEqual(v1)
    const v3 = await mint(restarted, 'k', 'three')
    const dotOf = (clock: DvvSet, actor: string): number | undefined => clock.entries.find((e) => e.actor === actor)?.counter
    // The dot 'two' went out with is never minted again for another value.
    expect(restarted.actor()).not.toBe(store.actor())
    expect(dotOf(v3, store.actor())).toBe(dotOf(v1, store.actor()))
    expect(dotOf(v3, restarted.actor())).toBe(1)
  })

  it('a failed staged write bumps the epoch before the next mint, and close writes no marker until it has', async () => {
    const gated = new GatedStorage(new MemoryStorage())
    const store = await openStore(gated)
    await mint(store, 'k', 'one')
    const before = store.actor()
    gated.failWrites = true
    let staged = false
    await expect(mint(store, 'k', 'two', () => { staged = true })).rejects.toThrow('disk full')
    expect(staged).toBe(true)
    await store.close()
    expect(await gated.inner.get('meta', CLEAN_SHUTDOWN_KEY)).toBeUndefined()
    // The disk recovers: the next mint (any key) comes from a new actor.
    gated.failWrites = false
    const again = await openStore(MemoryStorage.reopen(gated.inner))
    expect(again.actor()).not.toBe(before)
    const live = new GatedStorage(new MemoryStorage())
    const running = await openStore(live)
    const actor = running.actor()
    live.failWrites = true
    await expect(mint(running, 'a', 'x', () => undefined)).rejects.toThrow('disk full')
    live.failWrites = false
    const next = await mint(running, 'b', 'y')
    expect(running.actor()).not.toBe(actor)
    expect(next.entries.map((e) => e.actor)).toEqual([running.actor()])
  })

  it('close waits for staged writes in flight before it writes the marker; later mints are not staged', async () => {
    const gated = new GatedStorage(new MemoryStorage())
    const store = await openStore(gated)
    gated.hold = true
    const inFlight = mint(store, 'k', 'v', () => undefined)
    await settle()
    let closed = false
    const closing = store.close().then(() => { closed = true })
    await settle()
    expect(closed).toBe(false)
    let stagedAfterClose = false
    const late = mint(store, 'k2', 'w', () => { stagedAfterClose = true })
    await settle()
    expect(stagedAfterClose).toBe(false)
    gated.hold = false
    await gated.release()
    await Promise.all([inFlight, closing, late])
    expect(stagedAfterClose).toBe(true)
    expect(await gated.inner.get('meta', CLEAN_SHUTDOWN_KEY)).toBeDefined()
  })
})

describe('staged mints in a cluster', () => {
  it('a coordinator that crashes before its own write is durable: its next write of the key is not lost', async () => {
    const c = await startCluster(['p1', 'p2', 'p3', 'p4', 'p5'])
    try {
      const key = findKey(c.peer('p1'), (primaries) => primaries[0] === 'p1')
      const [, r1, r2] = primariesOf(c.peer('p1'), key) as [string, string, string]
      // p1's disk: hold writes back from here on, as a slow fsync would.
      const disk = c.storages.get('p1') as MemoryStorage
      const gated = new GatedStorage(disk)
      const p1 = await c.restartWith('p1', gated)
      await settle()
      gated.hold = true
      // w=2 is met by the two replicas while p1's own write is still in flight.
      const first = await p1.put(key, bytes('first'))
      expect(first.acks).toBe(2)
      expect(gated.heldWrites).toBeGreaterThan(0)
      gated.crash()
      c.hub.crash('p1')
      const restarted = await c.restartWith('p1', new GatedStorage(disk), { crashed: true })
      await settle()
      // A blind write from the restarted p1: concurrent with 'first', so both must survive.
      const second = await restarted.put(key, bytes('second'))
      expect(second.dot).not.toEqual(first.dot)
      await settle()
      for (const replica of [r1, r2]) {
        const clock = await c.peer(replica).localGet(key)
        expect(clock === null ? [] : siblings(clock).map((s) => text(s.value as Uint8Array)).sort()).toEqual(['first', 'second'])
      }
    } finally {
      await c.stopAll()
    }
  })
})
