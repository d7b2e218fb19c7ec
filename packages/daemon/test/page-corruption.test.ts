/**
 * Random pages of a stopped daemon's `data.mdb` overwritten with random bytes (seeded).
 * Before, the restarted daemon died natively (SIGBUS or SIGABRT, no message). It must
 * exit 1 with a message naming the file, on every seed, never by a signal.
 */
import { copyFile, open } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Fixture, put } from './support.js'

const PAGE = 4096
const SEEDS = [1, 2, 3, 4, 5, 6]
/** Of a store of a few dozen pages: a hit on a page in use, or on a meta page, every time. */
const PAGES_PER_SEED = 8

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

async function overwritePages (file: string, seed: number): Promise<void> {
  const handle = await open(file, 'r+')
  try {
    const pages = (await handle.stat()).size / PAGE
    const next = random(seed)
    for (let i = 0; i < PAGES_PER_SEED; i++) {
      const page = Math.floor(next() * pages)
      const bytes = Buffer.alloc(PAGE)
      for (let j = 0; j < PAGE; j++) bytes[j] = Math.floor(next() * 256)
      await handle.write(bytes, 0, PAGE, page * PAGE)
    }
  } finally {
    await handle.close()
  }
}

describe('a daemon whose data.mdb has damaged pages', () => {
  const fixture = new Fixture()
  afterAll(async () => { await fixture.killAll() })

  it('exits 1 with a message naming the file on every seed, never by a signal', async () => {
    const d = await fixture.start('pages', ['--n', '1', '--r', '1', '--w', '1'])
    for (let i = 0; i < 300; i += 30) {
      const writes = Array.from({ length: 30 }, async (_, j) => await put(d, `key-${i + j}`, `value-${i + j}-${'x'.repeat(200)}`))
      for (const reply of await Promise.all(writes)) expect(reply.status).toBe(204)
    }
    expect((await fixture.kill(d, 'SIGTERM')).code).toBe(0)
    const file = join(d.dataDir, 'store', 'data.mdb')
    const pristine = `${file}.pristine`
    await copyFile(file, pristine)

    // The undamaged store starts (the checks refuse no healthy store).
    const healthy = await fixture.restart(d)
    expect((await fixture.kill(healthy, 'SIGTERM')).code).toBe(0)
    await copyFile(file, pristine)

    for (const seed of SEEDS) {
      await copyFile(pristine, file)
      await overwritePages(file, seed)
      const raw = fixture.spawnRaw(['start', '--data-dir', d.dataDir, ...d.args])
      const exit = await raw.exited
      const stderr = raw.stderr.join('\n')
      expect(exit.signal, `seed ${seed}: ${stderr}`).toBeNull()
      expect(exit.code, `seed ${seed}: ${stderr}`).toBe(1)
      expect(stderr, `seed ${seed}`).toContain(`StorageOpenError: cannot open storage in ${join(d.dataDir, 'store')}: ${file}`)
      expect(raw.stdout, `seed ${seed}: no ready line`).toEqual([])
    }
  }, 360_000)
})
