/**
 * The acceptance suite every Storage adapter runs (memory, simulated, IndexedDB,
 * filesystem), so they all honour the engine's Storage contract (the `Storage` interface
 * of @ringstore/peer) the same way. An adapter's test file is a few lines:
 *
 * @example
 * import { MemoryStorage, runStorageConformance } from '@ringstore/testkit'
 * runStorageConformance('MemoryStorage', async () => new MemoryStorage(),
 *   { reopen: async (s) => MemoryStorage.reopen(s as MemoryStorage) })
 */
import { equalBytes } from '@ringstore/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Namespace, ScanOptions, Storage, StorageOp } from '@ringstore/peer'

export interface StorageConformanceOptions {
  /**
   * Close `storage` (if the adapter needs it) and open it again over the same data. Given,
   * the suite also checks that every resolved write survives the reopen.
   */
  readonly reopen?: (storage: Storage) => Promise<Storage>
}

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)


async function collect (storage: Storage, ns: Namespace, options?: ScanOptions): Promise<Array<[string, Uint8Array]>> {
  const out: Array<[string, Uint8Array]> = []
  for await (const [key, value] of storage.scan(ns, options)) out.push([key, value])
  return out
}

async function keysOf (storage: Storage, ns: Namespace, options?: ScanOptions): Promise<string[]> {
  return (await collect(storage, ns, options)).map(([key]) => key)
}

async function put (storage: Storage, ns: Namespace, key: string, value: Uint8Array): Promise<void> {
  await storage.write([{ ns, key, value }])
}

export function runStorageConformance (name: string, open: () => Promise<Storage>, options: StorageConformanceOptions = {}): void {
  describe(`Storage conformance: ${name}`, () => {
    const opened: Storage[] = []
    const fresh = async (): Promise<Storage> => {
      const storage = await open()
      opened.push(storage)
      return storage
    }
    afterEach(async () => {
      // Best effort: a test may already have closed its handle.
      for (const storage of opened.splice(0)) await storage.close().catch(() => undefined)
    })

    it('gets what was put, undefined for absent keys, and deletes with null', async () => {
      const s = await fresh()
      expect(await s.get('data', 'a')).toBeUndefined()
      await put(s, 'data', 'a', bytes(1, 2, 3))
      expect(await s.get('data', 'a')).toEqual(bytes(1, 2, 3))
      await put(s, 'data', 'a', bytes(4))
      expect(await s.get('data', 'a')).toEqual(bytes(4))
      await s.write([{ ns: 'data', key: 'a', value: null }])
      expect(await s.get('data', 'a')).toBeUndefined()
      // Deleting an absent key is not an error.
      await s.write([{ ns: 'data', key: 'never', value: null }])
    })

    it('keeps namespaces apart', async () => {
      const s = await fresh()
      await s.write([
        { ns: 'data', key: 'k', value: bytes(1) },
        { ns: 'hints', key: 'k', value: bytes(2) },
        { ns: 'meta', key: 'k', value: bytes(3) }
      ])
      expect(await s.get('data', 'k')).toEqual(bytes(1))
      expect(await s.get('hints', 'k')).toEqual(bytes(2))
      expect(await s.get('meta', 'k')).toEqual(bytes(3))
      await s.write([{ ns: 'hints', key: 'k', value: null }])
      expect(await s.get('hints', 'k')).toBeUndefined()
      expect(await s.get('data', 'k')).toEqual(bytes(1))
      expect(await keysOf(s, 'meta')).toEqual(['k'])
    })

    it('getMany answers in the order asked, with undefined for absent keys and repeats', async () => {
      const s = await fresh()
      await s.write([{ ns: 'data', key: 'b', value: bytes(2) }, { ns: 'data', key: 'a', value: bytes(1) }])
      expect(await s.getMany('data', ['b', 'x', 'a', 'b'])).toEqual([bytes(2), undefined, bytes(1), bytes(2)])
      expect(await s.getMany('data', [])).toEqual([])
    })

    it('applies a batch as a whole: later ops see earlier ones, the last op on a key wins', async () => {
      const s = await fresh()
      await put(s, 'data', 'gone', bytes(9))
      await s.write([
        { ns: 'data', key: 'x', value: bytes(1) },
        { ns: 'data', key: 'x', value: bytes(2) },
        { ns: 'data', key: 'gone', value: null },
        { ns: 'meta', key: 'epoch', value: bytes(7) },
        { ns: 'data', key: 'y', value: bytes(3) },
        { ns: 'data', key: 'y', value: null }
      ])
      expect(await s.get('data', 'x')).toEqual(bytes(2))
      expect(await s.get('data', 'gone')).toBeUndefined()
      expect(await s.get('data', 'y')).toBeUndefined()
      expect(await s.get('meta', 'epoch')).toEqual(bytes(7))
      await s.write([])
    })

    it('refuses an invalid op with InvalidStorageOpError, and a batch holding one changes nothing', async () => {
      const s = await fresh()
      await put(s, 'data', 'keep', bytes(1))
      // Each is what a caller without the type checker could hand over.
      const invalid: StorageOp[] = [
        { ns: 'nope' as Namespace, key: 'x', value: bytes(3) },
        { ns: 'data', key: 42 as unknown as string, value: bytes(3) },
        { ns: 'data', key: 'x', value: [3] as unknown as Uint8Array },
        { ns: 'data', key: 'x', value: 'three' as unknown as Uint8Array }
      ]
      for (const op of invalid) {
        await expect(s.write([{ ns: 'data', key: 'keep', value: bytes(2) }, op])).rejects.toMatchObject({ name: 'InvalidStorageOpError' })
      }
      expect(await s.get('data', 'keep')).toEqual(bytes(1))
      expect(await keysOf(s, 'data')).toEqual(['keep'])
    })

    it('refuses reads of an unknown namespace with InvalidStorageOpError', async () => {
      const s = await fresh()
      const nope = 'nope' as Namespace
      await expect(s.get(nope, 'k')).rejects.toMatchObject({ name: 'InvalidStorageOpError' })
      await expect(s.getMany(nope, ['k'])).rejects.toMatchObject({ name: 'InvalidStorageOpError' })
      await expect(collect(s, nope)).rejects.toMatchObject({ name: 'InvalidStorageOpError' })
    })

    it('scans in key order within [gte, lt) and honours limit', async () => {
      const s = await fresh()
      const keys = ['b', 'a/2', 'a', 'c', 'a/10', 'ab', 'B']
      await s.write(keys.map((key, i) => ({ ns: 'data' as const, key, value: bytes(i) })))
      expect(await keysOf(s, 'data')).toEqual([...keys].sort())
      expect(await keysOf(s, 'data', { gte: 'a', lt: 'b' })).toEqual(['a', 'a/10', 'a/2', 'ab'])
      expect(await keysOf(s, 'data', { gte: 'a/' })).toEqual(['a/10', 'a/2', 'ab', 'b', 'c'])
      expect(await keysOf(s, 'data', { lt: 'a/2' })).toEqual(['B', 'a', 'a/10'])
      expect(await keysOf(s, 'data', { gte: 'a', limit: 2 })).toEqual(['a', 'a/10'])
      expect(await keysOf(s, 'data', { gte: 'zz' })).toEqual([])
      expect(await keysOf(s, 'data', { gte: 'c', lt: 'a' })).toEqual([])
      expect(await keysOf(s, 'data', { limit: 0 })).toEqual([])
      const entries = await collect(s, 'data', { gte: 'c' })
      expect(entries).toEqual([['c', bytes(3)]])
    })

    it('scan survives writes made while it is suspended', async () => {
      const s = await fresh()
      await s.write(['k1', 'k3', 'k5', 'k7'].map((key) => ({ ns: 'data' as const, key, value: text(key) })))
      const seen: string[] = []
      for await (const [key] of s.scan('data')) {
        seen.push(key)
        if (key === 'k3') {
          // Delete what was just read and the next key, insert ahead and behind.
          await s.write([
            { ns: 'data', key: 'k3', value: null },
            { ns: 'data', key: 'k5', value: null },
            { ns: 'data', key: 'k0', value: text('k0') },
            { ns: 'data', key: 'k6', value: text('k6') }
          ])
        }
      }
      // Snapshot or resuming iteration are both fine: every key present for the whole scan
      // is seen exactly once, in order; k0 (inserted behind the cursor) is not; k5 and k6
      // (deleted / inserted ahead) may or may not be.
      expect(seen.filter((k) => k !== 'k5' && k !== 'k6')).toEqual(['k1', 'k3', 'k7'])
      expect(seen.every((k, i) => i === 0 || (seen[i - 1] as string) < k)).toBe(true)
    })

    it('stores binary values exactly, including the empty value and every byte', async () => {
      const s = await fresh()
      const all = Uint8Array.from({ length: 256 }, (_, i) => i)
      await s.write([{ ns: 'data', key: 'empty', value: new Uint8Array(0) }, { ns: 'data', key: 'all', value: all }])
      const empty = await s.get('data', 'empty')
      expect(empty).toBeInstanceOf(Uint8Array)
      expect(empty?.length).toBe(0)
      expect(await s.get('data', 'all')).toEqual(all)
      expect((await collect(s, 'data')).map(([, v]) => v.length)).toEqual([256, 0])
    })

    it('stores a value held in a view of a larger buffer as the view only', async () => {
      const s = await fresh()
      const backing = Uint8Array.from({ length: 16 }, (_, i) => i)
      await put(s, 'data', 'view', backing.subarray(4, 8))
      expect(await s.get('data', 'view')).toEqual(bytes(4, 5, 6, 7))
    })

    it('handles unicode keys (and sorts them by UTF-16 code units)', async () => {
      const s = await fresh()
      const keys = ['éclair', 'e', '日本', '😀', 'z', '\uffff', 'a\u0001b', 'tab\tkey', 'slash/key']
      await s.write(keys.map((key) => ({ ns: 'hints' as const, key, value: text(key) })))
      for (const key of keys) expect(await s.get('hints', key)).toEqual(text(key))
      expect(await keysOf(s, 'hints')).toEqual([...keys].sort())
    })

    it('stores a 1 MiB value', async () => {
      const s = await fresh()
      const big = new Uint8Array(1024 * 1024)
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
      await put(s, 'data', 'big', big)
      const got = await s.get('data', 'big')
      // A byte loop, not toEqual: the deep-equality diff of 1 MiB takes seconds.
      expect(got?.length).toBe(big.length)
      expect(equalBytes(got as Uint8Array, big)).toBe(true)
    })

    it('copies values: mutating the input after write or the output after read changes nothing', async () => {
      const s = await fresh()
      const input = bytes(1, 2, 3)
      await put(s, 'data', 'k', input)
      input[0] = 99
      const first = await s.get('data', 'k') as Uint8Array
      expect(first).toEqual(bytes(1, 2, 3))
      first[1] = 99
      const [many] = await s.getMany('data', ['k'])
      expect(many).toEqual(bytes(1, 2, 3))
      for await (const [, value] of s.scan('data')) value[2] = 99
      expect(await s.get('data', 'k')).toEqual(bytes(1, 2, 3))
    })

    it('rejects every call after close with StorageClosedError', async () => {
      const s = await fresh()
      await put(s, 'data', 'k', bytes(1))
      await s.close()
      const closed = { name: 'StorageClosedError' }
      await expect(s.get('data', 'k')).rejects.toMatchObject(closed)
      await expect(s.getMany('data', ['k'])).rejects.toMatchObject(closed)
      await expect(put(s, 'data', 'k', bytes(2))).rejects.toMatchObject(closed)
      await expect(collect(s, 'data')).rejects.toMatchObject(closed)
    })

    const reopen = options.reopen
    if (reopen !== undefined) {
      it('keeps every resolved write across a reopen', async () => {
        const s = await fresh()
        await s.write([
          { ns: 'data', key: 'a', value: bytes(1) },
          { ns: 'hints', key: 'h', value: bytes(2) },
          { ns: 'meta', key: 'm', value: bytes(3) },
          { ns: 'data', key: 'b', value: bytes(4) }
        ])
        await s.write([{ ns: 'data', key: 'b', value: null }, { ns: 'data', key: 'c', value: new Uint8Array(0) }])
        const again = await reopen(s)
        opened.push(again)
        expect(await again.get('data', 'a')).toEqual(bytes(1))
        expect(await again.get('hints', 'h')).toEqual(bytes(2))
        expect(await again.get('meta', 'm')).toEqual(bytes(3))
        expect(await again.get('data', 'b')).toBeUndefined()
        expect(await again.get('data', 'c')).toEqual(new Uint8Array(0))
        expect(await keysOf(again, 'data')).toEqual(['a', 'c'])
      })
    }
  })
}
