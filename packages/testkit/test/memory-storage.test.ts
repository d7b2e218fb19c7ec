import { describe, expect, it } from 'vitest'
import { StorageClosedError } from '@ringstore/peer'
import { MemoryStorage } from '../src/memory-storage.js'
import { runStorageConformance } from '../src/storage-conformance.js'

runStorageConformance('MemoryStorage', async () => new MemoryStorage(), {
  reopen: async (storage) => {
    await storage.close()
    return MemoryStorage.reopen(storage as MemoryStorage)
  }
})

describe('MemoryStorage specifics', () => {
  it("throws the engine's own StorageClosedError class", async () => {
    const s = new MemoryStorage()
    await s.close()
    await expect(s.get('data', 'x')).rejects.toBeInstanceOf(StorageClosedError)
  })

  it('stops a scan when the handle closes mid-way', async () => {
    const s = new MemoryStorage()
    await s.write(['a', 'b', 'c'].map((key) => ({ ns: 'data' as const, key, value: new Uint8Array([1]) })))
    const seen: string[] = []
    const run = async (): Promise<void> => {
      for await (const [key] of s.scan('data')) {
        seen.push(key)
        if (key === 'a') await s.close()
      }
    }
    await expect(run()).rejects.toBeInstanceOf(StorageClosedError)
    expect(seen).toEqual(['a'])
  })

  it('keeps the disk sorted through many random writes', async () => {
    const s = new MemoryStorage()
    const model = new Map<string, number>()
    let seed = 7
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed }
    for (let i = 0; i < 2000; i++) {
      const key = `k${next() % 300}`
      const del = next() % 4 === 0
      await s.write([{ ns: 'data', key, value: del ? null : new Uint8Array([i & 0xff]) }])
      if (del) model.delete(key)
      else model.set(key, i & 0xff)
    }
    const scanned: Array<[string, number]> = []
    for await (const [key, value] of s.scan('data')) scanned.push([key, value[0] as number])
    expect(scanned).toEqual([...model.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    expect(s.disk.count('data')).toBe(model.size)
  })
})
