/**
 * Staged mints (replica-store.ts): a coordinator sends a new version to its replicas while
 * its own copy is still being written. A replica may then hold a dot the local disk never
 * got (crash or failed write before it was durable), so the actor epoch must move on after
 * an unclean stop and after a failed staged write; otherwise the next mint would reuse the
 * counter for another value and replicas would take the new write as already seen.
 */
import { describe, expect, it } from 'vitest'
import { context, siblings } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import type { Staged } from '../src/components.js'
import { DEFAULT_CONFIG } from '../src/config.js'
import type { Namespace, ScanOptions, Storage, StorageOp } from '../src/interfaces.js'
import { QuorumNotMetError } from '../src/errors.js'
import { createMetrics } from '../src/metrics.js'
import { silentLogger } from '../src/peer.js'
import { CLEAN_SHUTDOWN_KEY } from '../src/data/actor-epoch.js'
import { mint } from '../src/data/mint.js'
import type { Minted } from '../src/data/mint.js'
import { StorageReplicaStore } from '../src/data/replica-store.js'
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

/** Mint a new value of `key` over what is stored, as the coordinator does: resolves once staged. */
function stageValue (store: StorageReplicaStore, key: string, value: string): Promise<Staged<Minted>> {
  return store.stage(key, (current, actor) => mint(current, { context: current === null ? [] : context(current), value: bytes(value), ts: 1 }, actor))
}

/** stageValue, then its local write: the version as stored, once durable. */
async function mintDurably (store: StorageReplicaStore, key: string, value: string): Promise<DvvSet> {
  const staged = await stageValue(store, key, value)
  expect(await staged.durable).toBe(true)
  return staged.clock
}

describe('staged mints in the replica store', () => {
  it('stage resolves before the write is durable when staging, after it otherwise', async () => {
    for (const stagedMints of [true, false]) {
      const gated = new GatedStorage(new MemoryStorage())
      const store = await openStore(gated, stagedMints)
      gated.hold = true
      let staged: Staged<Minted> | undefined
      let durable = false
      const done = stageValue(store, 'k', 'v').then(async (result) => {
        staged = result
        durable = await result.durable
      })
      await settle()
      expect(gated.heldWrites).toBe(1)
      expect(staged !== undefined).toBe(stagedMints)
      expect(durable).toBe(false)
      await gated.release()
      await done
      expect(durable).toBe(true)
      expect(await store.get('k')).toEqual(staged?.clock)
      expect(staged?.result.dot).toEqual([store.actor(), 1])
    }
  })

  it('a write that changes nothing writes nothing and is durable at once', async () => {
    const gated = new GatedStorage(new MemoryStorage())
    const store = await openStore(gated)
    const stored = await mintDurably(store, 'k', 'v')
    gated.hold = true
    const staged = await store.stage('k', (current) => ({ next: current as DvvSet }))
    expect(gated.heldWrites).toBe(0)
    expect(staged.clock).toEqual(stored)
    expect(await staged.durable).toBe(true)
  })

  it('a store that does not stage fails the write itself: nothing may be sent, no epoch bump owed', async () => {
    const gated = new GatedStorage(new MemoryStorage())
    const store = await openStore(gated, false)
    const actor = store.actor()
    gated.failWrites = true
    await expect(stageValue(store, 'k', 'v')).rejects.toThrow('disk full')
    gated.failWrites = false
    await mintDurably(store, 'k', 'v')
    expect(store.actor()).toBe(actor)
  })

  it('fn throwing (too many siblings) rejects the stage and writes nothing', async () => {
    const gated = new GatedStorage(new MemoryStorage())
    const store = await openStore(gated)
    await mintDurably(store, 'k', 'one')
    gated.hold = true
    const blind = store.stage('k', (current, actor) => mint(current, { context: [], value: bytes('two'), ts: 1 }, actor, 1))
    await expect(blind).rejects.toThrow(/siblings/)
    expect(gated.heldWrites).toBe(0)
  })

  it('a clean close keeps the epoch; a start without one moves to a new epoch', async () => {
    const disk = new MemoryStorage()
    const first = await openStore(disk)
    await mintDurably(first, 'k', 'v')
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
    await mintDurably(first, 'k', 'v')
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
    const v1 = await mintDurably(store, 'k', 'one')
    gated.hold = true
    const sent = await stageValue(store, 'k', 'two')
    expect(gated.heldWrites).toBe(1)
    gated.crash()
    const restarted = await openStore(MemoryStorage.reopen(inner))
    expect(await restarted.get('k')).toEqual(v1)
    const third = await stageValue(restarted, 'k', 'three')
    const v3 = third.clock
    const dotOf = (clock: DvvSet, actor: string): number | undefined => clock.entries.find((e) => e.actor === actor)?.counter
    // The dot 'two' went out with is never minted again for another value.
    expect(third.result.dot).not.toEqual(sent.result.dot)
    expect(restarted.actor()).not.toBe(store.actor())
    expect(dotOf(v3, store.actor())).toBe(dotOf(v1, store.actor()))
    expect(dotOf(v3, restarted.actor())).toBe(1)
  })

  it('a failed staged write bumps the epoch before the next mint, and close writes no marker until it has', async () => {
    const gated = new GatedStorage(new MemoryStorage())
    const store = await openStore(gated)
    await mintDurably(store, 'k', 'one')
    const before = store.actor()
    gated.failWrites = true
    // Staged (it may have been sent), then the write fails.
    const staged = await stageValue(store, 'k', 'two')
    expect(await staged.durable).toBe(false)
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
    expect(await (await stageValue(running, 'a', 'x')).durable).toBe(false)
    live.failWrites = false
    const next = await mintDurably(running, 'b', 'y')
    expect(running.actor()).not.toBe(actor)
    expect(next.entries.map((e) => e.actor)).toEqual([running.actor()])
  })

  it('close waits for staged writes in flight before it writes the marker; later mints are not staged', async () => {
    const gated = new GatedStorage(new MemoryStorage())
    const store = await openStore(gated)
    gated.hold = true
    const inFlight = await stageValue(store, 'k', 'v')
    let closed = false
    const closing = store.close().then(() => { closed = true })
    await settle()
    expect(closed).toBe(false)
    let stagedAfterClose = false
    const late = stageValue(store, 'k2', 'w').then(() => { stagedAfterClose = true })
    await settle()
    expect(gated.heldWrites).toBe(2)
    expect(stagedAfterClose).toBe(false)
    gated.hold = false
    await gated.release()
    await Promise.all([inFlight.durable, closing, late])
    expect(stagedAfterClose).toBe(true)
    expect(await gated.inner.get('meta', CLEAN_SHUTDOWN_KEY)).toBeDefined()
  })
})

describe('staged mints in a cluster', () => {
  /** p1 coordinates `key` over a held disk; p2 and p3 refuse every replica-put (their disks fail). */
  async function refusingReplicas () {
    const c = await startCluster(['p1', 'p2', 'p3'])
    const key = findKey(c.peer('p1'), (primaries) => primaries[0] === 'p1')
    const own = new GatedStorage(c.storages.get('p1') as MemoryStorage)
    const p1 = await c.restartWith('p1', own)
    for (const id of ['p2', 'p3']) {
      const disk = new GatedStorage(c.storages.get(id) as MemoryStorage)
      await c.restartWith(id, disk)
      disk.failWrites = true
    }
    await settle()
    return { c, key, own, p1 }
  }

  it('a put short of w is answered only once the coordinator\'s own write settled, its ack counted', async () => {
    const { c, key, own, p1 } = await refusingReplicas()
    try {
      own.hold = true
      let outcome: unknown
      const put = p1.put(key, bytes('v')).then((result) => { outcome = result }, (error: unknown) => { outcome = error })
      await settle()
      // Both replicas have refused; the local write is held: not decided yet.
      expect(own.heldWrites).toBeGreaterThan(0)
      expect(outcome).toBeUndefined()
      own.hold = false
      await own.release()
      await put
      expect(outcome).toBeInstanceOf(QuorumNotMetError)
      expect(outcome).toMatchObject({ acks: 1, required: 2 })
    } finally {
      // A held write would keep stop() waiting for it (close waits for staged writes).
      own.hold = false
      await own.release()
      await c.stopAll()
    }
  })

  it('a local write that fails after staging is no ack', async () => {
    const { c, key, own, p1 } = await refusingReplicas()
    try {
      own.failWrites = true
      const error = await p1.put(key, bytes('v'), { w: 1 }).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(QuorumNotMetError)
      expect(error).toMatchObject({ acks: 0, required: 1 })
    } finally {
      await c.stopAll()
    }
  })

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
