import { afterAll, describe, expect, it } from 'vitest'
import { runStorageConformance } from '@ringstore/testkit'
import { Scheduler, settle } from '../src/scheduler.js'
import { SimDisk, SimStorage, SortedMap } from '../src/storage.js'

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)

/** Run a scheduler's events in the background, for a suite that awaits real promises. */
function pumped (): { scheduler: Scheduler, stop: () => void } {
  const scheduler = new Scheduler()
  let running = true
  void (async () => {
    while (running) if (!(await scheduler.step())) await settle()
  })()
  return { scheduler, stop: () => { running = false } }
}

const pump = pumped()
afterAll(() => pump.stop())
runStorageConformance('SimStorage', async () => new SimStorage(new SimDisk(), pump.scheduler, { fsyncDelayMs: () => 0.3 }), {
  reopen: async (storage) => {
    await storage.close()
    return new SimStorage((storage as SimStorage).disk, pump.scheduler)
  }
})

/** Has the promise settled after the microtasks queued so far? */
async function settled (p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(() => { done = true }, () => { done = true })
  await settle()
  return done
}

describe('SimStorage crash semantics', () => {
  it('resolves a write only once its fsync delay has passed', async () => {
    const s = new Scheduler()
    const storage = new SimStorage(new SimDisk(), s, { fsyncDelayMs: () => 3 })
    const write = storage.write([{ ns: 'data', key: 'a', value: bytes(1) }])
    expect(await settled(write)).toBe(false)
    expect(await storage.get('data', 'a')).toBeUndefined()
    await s.advance(2)
    expect(await settled(write)).toBe(false)
    await s.advance(1)
    expect(await settled(write)).toBe(true)
    expect(await storage.get('data', 'a')).toEqual(bytes(1))
  })

  it('applies writes in issue order even when a later one has a shorter fsync', async () => {
    const s = new Scheduler()
    const delays = [5, 1]
    const storage = new SimStorage(new SimDisk(), s, { fsyncDelayMs: () => delays.shift() ?? 1 })
    const order: string[] = []
    void storage.write([{ ns: 'data', key: 'k', value: bytes(1) }]).then(() => order.push('first'))
    void storage.write([{ ns: 'data', key: 'k', value: bytes(2) }]).then(() => order.push('second'))
    await s.runUntilIdle()
    expect(order).toEqual(['first', 'second'])
    expect(await storage.get('data', 'k')).toEqual(bytes(2))
  })

  it('a crash drops the writes that were not durable and keeps those that were', async () => {
    const s = new Scheduler()
    const disk = new SimDisk()
    const before = new SimStorage(disk, s, { fsyncDelayMs: () => 1 })
    await s.drive(before.write([{ ns: 'data', key: 'kept', value: bytes(1) }, { ns: 'meta', key: 'm', value: bytes(9) }]), 10)
    const lost = before.write([{ ns: 'data', key: 'lost', value: bytes(2) }, { ns: 'data', key: 'kept', value: null }])
    expect(before.pendingWrites()).toBe(1)
    before.crash()
    await s.runUntilIdle()
    expect(await settled(lost)).toBe(false) // the process is gone: its call never returns
    expect(await settled(before.get('data', 'kept'))).toBe(false)
    const after = new SimStorage(disk, s)
    expect(await after.get('data', 'kept')).toEqual(bytes(1))
    expect(await after.get('data', 'lost')).toBeUndefined()
    expect(await after.get('meta', 'm')).toEqual(bytes(9))
    expect(disk.size('data')).toBe(1)
  })

  it('close flushes pending writes before it resolves', async () => {
    const s = new Scheduler()
    const disk = new SimDisk()
    const storage = new SimStorage(disk, s, { fsyncDelayMs: () => 4 })
    void storage.write([{ ns: 'hints', key: 'h', value: bytes(3) }])
    await s.drive(storage.close(), 100)
    expect(disk.namespace('hints').get('h')).toEqual(bytes(3))
    await expect(storage.get('hints', 'h')).rejects.toThrow('closed')
  })
})

describe('SortedMap', () => {
  it('keeps keys in code-unit order and answers ranges', () => {
    const m = new SortedMap()
    for (const k of ['b', 'a', 'd', 'c', 'a']) m.set(k, bytes(k.charCodeAt(0)))
    m.delete('c')
    m.delete('zz')
    expect(m.range().map(([k]) => k)).toEqual(['a', 'b', 'd'])
    expect(m.range({ gte: 'b', lt: 'd' }).map(([k]) => k)).toEqual(['b'])
    expect(m.range({ gte: 'a', limit: 2 }).map(([k]) => k)).toEqual(['a', 'b'])
    expect(m.size).toBe(3)
  })
})

describe('SimStorage reads of a value many disks hold', () => {
  /** Every value of `ns` one scan of `storage` hands out. */
  async function scanned (storage: SimStorage, ns: 'meta' | 'data'): Promise<Uint8Array[]> {
    const out: Uint8Array[] = []
    for await (const [, value] of storage.scan(ns)) out.push(value)
    return out
  }

  it('hands every scan of a meta value one copy of it, never the disk\'s, and a fresh one once a reader changed it', async () => {
    const shared = bytes(1, 2, 3)
    const disks = [new SimDisk(), new SimDisk()]
    for (const disk of disks) disk.apply([{ ns: 'meta', key: 'member/p1', value: shared }, { ns: 'data', key: 'k', value: shared }])
    const [a, b] = disks.map((disk) => new SimStorage(disk, pump.scheduler)) as [SimStorage, SimStorage]
    const [first] = await scanned(a, 'meta')
    const [second] = await scanned(b, 'meta')
    // One copy for both loads (the engine decodes it once: peer's member-persist.ts).
    expect(second).toBe(first)
    expect(first).not.toBe(shared)
    // Data values stay a copy per read.
    expect((await scanned(a, 'data'))[0]).not.toBe((await scanned(b, 'data'))[0])
    // A reader that changes its copy changes nobody else's next read, nor the disk.
    ;(first as Uint8Array)[0] = 9
    const [third] = await scanned(b, 'meta')
    expect(third).toEqual(bytes(1, 2, 3))
    expect(third).not.toBe(first)
    expect(disks[1]?.namespace('meta').get('member/p1')).toEqual(bytes(1, 2, 3))
  })
})
