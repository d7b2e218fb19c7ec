/**
 * Pages of `data.mdb` overwritten with random bytes (seeded), the way a bad disk or a stray
 * write damages a store. Before the checks, opening such a store and reading it killed the
 * process by SIGABRT, SIGSEGV or SIGBUS on most seeds, and so did writing to one whose
 * damage the reads missed. `FsStorage.open` runs here, in the test process: a store that
 * slipped through would crash this very test, not just fail it.
 */
import { copyFile, mkdir, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealRecord } from '@ringstore/core'
import { FsStorage, StorageOpenError } from '../src/index.js'
import { checkStoreInChild, storeCheckTimeoutMs } from '../src/store-check.js'

const PAGE = 4096
const KEYS = 2000
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8]
const PAGES_PER_SEED = 3

let base = ''
let pristine = ''

/** mulberry32: a small seeded generator, so every run damages the same pages. */
function random (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A copy of the pristine store with `PAGES_PER_SEED` pages overwritten with random bytes. */
async function damagedCopy (seed: number): Promise<string> {
  const dir = join(base, `seed-${seed}`)
  await mkdir(dir)
  await copyFile(join(pristine, 'data.mdb'), join(dir, 'data.mdb'))
  const file = await open(join(dir, 'data.mdb'), 'r+')
  try {
    const pages = (await file.stat()).size / PAGE
    const next = random(seed)
    for (let i = 0; i < PAGES_PER_SEED; i++) {
      const page = Math.floor(next() * pages)
      const bytes = Buffer.alloc(PAGE)
      for (let j = 0; j < PAGE; j++) bytes[j] = Math.floor(next() * 256)
      await file.write(bytes, 0, PAGE, page * PAGE)
    }
  } finally {
    await file.close()
  }
  return dir
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'ringstore-pages-'))
  pristine = join(base, 'pristine')
  const storage = await FsStorage.open(pristine)
  // Several commits, as a daemon makes: old pages go to LMDB's free list.
  for (let i = 0; i < KEYS; i += 500) {
    const ops = Array.from({ length: 500 }, (_, j) => ({ ns: 'data' as const, key: `k${i + j}`, value: sealRecord(new Uint8Array(200).fill((i + j) & 255)) }))
    await storage.write(ops)
  }
  await storage.close()
})
afterAll(async () => {
  await rm(base, { recursive: true, force: true })
})

describe('a data.mdb with pages overwritten at random', () => {
  it('the pristine store passes the checks and reads back whole', async () => {
    const storage = await FsStorage.open(pristine)
    let n = 0
    for await (const entry of storage.scan('data')) n += entry[1].length > 0 ? 1 : 0
    await storage.close()
    expect(n).toBe(KEYS)
  })

  for (const seed of SEEDS) {
    it(`seed ${seed}: refused with a StorageOpenError naming the file, before it is mapped`, async () => {
      const dir = await damagedCopy(seed)
      const error = await FsStorage.open(dir).then(async (storage) => {
        await storage.close()
        return undefined
      }, (e: unknown) => e)
      expect(error).toBeInstanceOf(StorageOpenError)
      expect((error as Error).message).toContain(join(dir, 'data.mdb'))
    })
  }
})

describe('the check in a child process', () => {
  it('refuses a store it could not read in time, and gives big stores more time', async () => {
    expect(await checkStoreInChild(pristine, ['data'], 2 ** 30, 1)).toMatch(/did not finish within/)
    expect(storeCheckTimeoutMs(40 * 2 ** 30)).toBeGreaterThan(storeCheckTimeoutMs(0) + 3_000_000)
  })
})

describe('the store id', () => {
  it('is absent in a new store, and assigned once it stays across reopens', async () => {
    const dir = join(base, 'ids')
    const storage = await FsStorage.open(dir)
    expect(storage.storeId()).toBeUndefined()
    const id = await storage.assignStoreId()
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    await storage.close()
    const again = await FsStorage.open(dir)
    expect(again.storeId()).toBe(id)
    expect(await again.assignStoreId()).not.toBe(id)
    await again.close()
  })
})
