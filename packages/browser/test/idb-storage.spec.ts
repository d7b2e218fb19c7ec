import { describe, expect, it } from 'vitest'
import { runStorageConformance } from '@ringstore/testkit'
import { IdbStorage } from '../src/index.js'

let counter = 0
/** A fresh database per storage test: names never repeat within a run or across runs. */
const freshName = (): string => `conformance-${Date.now().toString(36)}-${counter++}`

const names = new WeakMap<IdbStorage, string>()
async function open (): Promise<IdbStorage> {
  const name = freshName()
  const storage = await IdbStorage.open(name)
  names.set(storage, name)
  return storage
}

runStorageConformance('IdbStorage (IndexedDB in Chromium)', open, {
  reopen: async (storage) => {
    const s = storage as IdbStorage
    await s.close()
    const again = await IdbStorage.open(names.get(s) as string)
    return again
  }
})

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)

describe('IdbStorage group commit', () => {
  it('concurrent write() calls share one transaction, and each stays atomic', async () => {
    const s = await open()
    const writes = Array.from({ length: 50 }, async (_, i) => s.write([
      { ns: 'data', key: `k${i}`, value: bytes(i) },
      { ns: 'hints', key: `h${i}`, value: bytes(i, i) }
    ]))
    await Promise.all(writes)
    expect(s.stats.writes).toBe(50)
    // All 50 were issued in one task: they join the first group.
    expect(s.stats.transactions).toBe(1)
    expect(await s.getMany('data', ['k0', 'k49'])).toEqual([bytes(0), bytes(49)])
    expect(await s.get('hints', 'h7')).toEqual(bytes(7, 7))
    await s.close()
  })

  it('writes arriving while a transaction commits form the next group', async () => {
    const s = await open()
    const first = s.write([{ ns: 'data', key: 'a', value: bytes(1) }])
    await Promise.resolve()
    await Promise.resolve()
    // The first group has started; these queue behind it.
    const rest = Array.from({ length: 20 }, async (_, i) => s.write([{ ns: 'data', key: `b${i}`, value: bytes(i) }]))
    await Promise.all([first, ...rest])
    expect(s.stats.writes).toBe(21)
    expect(s.stats.transactions).toBeLessThanOrEqual(2)
    await s.close()
  })

  it('a rejected write does not take the rest of its group down', async () => {
    const s = await open()
    const good = s.write([{ ns: 'data', key: 'good', value: bytes(1) }])
    const bad = s.write([{ ns: 'nope' as 'data', key: 'x', value: bytes(2) }])
    await expect(bad).rejects.toThrow(/namespace/)
    await good
    expect(await s.get('data', 'good')).toEqual(bytes(1))
    await s.close()
  })

  it('close() lets queued writes land first', async () => {
    const name = freshName()
    const s = await IdbStorage.open(name)
    const pending = Array.from({ length: 10 }, async (_, i) => s.write([{ ns: 'meta', key: `m${i}`, value: bytes(i) }]))
    await s.close()
    await Promise.all(pending)
    const again = await IdbStorage.open(name)
    expect((await again.getMany('meta', ['m0', 'm9'])).map((v) => v?.[0])).toEqual([0, 9])
    await again.close()
    await IdbStorage.destroy(name)
  })

  it('prints batched vs one-transaction-per-write throughput (not asserted)', async () => {
    const s = await open()
    const value = new Uint8Array(64).fill(7)
    const count = 500
    let started = performance.now()
    for (let i = 0; i < count; i++) await s.write([{ ns: 'data', key: `seq${i}`, value }])
    const sequentialMs = performance.now() - started
    started = performance.now()
    await Promise.all(Array.from({ length: count }, async (_, i) => s.write([{ ns: 'data', key: `grp${i}`, value }])))
    const groupedMs = performance.now() - started
    console.log(`IdbStorage, ${count} puts of 64 B: awaited one by one ${Math.round(count / sequentialMs * 1000)}/s; concurrent (group commit) ${Math.round(count / groupedMs * 1000)}/s`)
    expect(await s.get('data', `grp${count - 1}`)).toEqual(value)
    await s.close()
  })
})
