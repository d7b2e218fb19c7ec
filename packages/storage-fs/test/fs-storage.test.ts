import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { CorruptRecordError, openRecord, sealRecord } from '@ringstore/core'
import { runStorageConformance } from '@ringstore/testkit'
import { InvalidStorageOpError } from '@ringstore/peer'
import type { Storage } from '@ringstore/peer'
import { FsStorage, StorageOpenError } from '../src/index.js'
import { readLatestTxnId } from '../src/lmdb-header.js'

const dirs: string[] = []
async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringstore-fs-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

runStorageConformance('FsStorage', async () => FsStorage.open(await tempDir()), {
  reopen: async (storage: Storage) => {
    const fs = storage as FsStorage
    await fs.close()
    return FsStorage.open(fs.dir)
  }
})

describe('FsStorage durability', () => {
  it('keeps 2,000 concurrent writes across close and reopen', async () => {
    const dir = await tempDir()
    const s = await FsStorage.open(dir)
    const keys = Array.from({ length: 2000 }, (_, i) => `key-${i}`)
    await Promise.all(keys.map((key) => s.write([{ ns: 'data', key, value: text(key) }])))
    await s.close()
    const again = await FsStorage.open(dir)
    const values = await again.getMany('data', keys)
    expect(values.every((v, i) => v !== undefined && new TextDecoder().decode(v) === keys[i])).toBe(true)
    await again.close()
  })

  it('group commit: writes issued together share a handful of commits', async () => {
    const dir = await tempDir()
    const s = await FsStorage.open(dir)
    const before = await readLatestTxnId(join(dir, 'data.mdb'))
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.write([{ ns: 'data', key: `g${i}`, value: text('x') }])))
    const after = await readLatestTxnId(join(dir, 'data.mdb'))
    // One write per commit would be 200; lmdb-js batches them into one or two transactions.
    expect(after - before).toBeGreaterThan(0)
    expect(after - before).toBeLessThanOrEqual(4)
    // ...while awaiting each write in turn costs one commit per write.
    for (let i = 0; i < 10; i++) await s.write([{ ns: 'data', key: `s${i}`, value: text('y') }])
    expect(await readLatestTxnId(join(dir, 'data.mdb')) - after).toBe(10)
    await s.close()
  })

  it('commits without the event loop: a write lands on disk while the loop is blocked', async () => {
    const dir = await tempDir()
    const s = await FsStorage.open(dir)
    const before = await readLatestTxnId(join(dir, 'data.mdb'))
    // A worker thread reads the newest commit id from data.mdb's meta pages while this
    // thread is blocked; a commit that needs this thread (a transaction callback) cannot
    // land until the block ends.
    const seen = new Int32Array(new SharedArrayBuffer(8))
    const worker = new Worker(`
      const { workerData } = require('node:worker_threads')
      const { openSync, readSync, closeSync } = require('node:fs')
      const seen = workerData.seen
      const buf = Buffer.alloc(4096 + 160)
      Atomics.store(seen, 1, 1)
      while (Atomics.load(seen, 1) !== 2) {
        const fd = openSync(workerData.file, 'r')
        readSync(fd, buf, 0, buf.length, 0)
        closeSync(fd)
        const psize = buf.readUInt32LE(48)
        const txnid = Math.max(Number(buf.readBigUInt64LE(152)), Number(buf.readBigUInt64LE(psize + 152)))
        Atomics.store(seen, 0, txnid)
      }
    `, { eval: true, workerData: { file: join(dir, 'data.mdb'), seen } })
    try {
      while (Atomics.load(seen, 1) !== 1 || Atomics.load(seen, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      const write = s.write([{ ns: 'data', key: 'while-blocked', value: text('v') }])
      // One turn, so lmdb-js has handed the batch to its write thread; then block 500 ms.
      await new Promise((resolve) => setImmediate(resolve))
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500)
      expect(Atomics.load(seen, 0)).toBeGreaterThan(before)
      await write
      expect(await s.get('data', 'while-blocked')).toEqual(text('v'))
    } finally {
      Atomics.store(seen, 1, 2)
      await worker.terminate()
      await s.close()
    }
  })

  it('loses no acknowledged write when the writer is SIGKILLed mid-burst', async () => {
    const dir = await tempDir()
    const acked = await runAndKill(dir, 300 + Math.floor(Math.random() * 300))
    expect(acked.length).toBeGreaterThanOrEqual(300)
    const s = await FsStorage.open(dir)
    const values = await s.getMany('data', acked)
    const missing = acked.filter((key, i) => {
      const v = values[i]
      return v === undefined || new TextDecoder().decode(v) !== `value of ${key}`
    })
    expect(missing).toEqual([])
    // Acknowledged deletes are durable too.
    const hints = await s.getMany('hints', acked.map((key) => `gone-${key}`))
    expect(hints.filter((v) => v !== undefined)).toEqual([])
    await s.close()
  }, 30_000)
})

describe('FsStorage bad input', () => {
  it('refuses a key LMDB cannot hold, and an unknown namespace, changing nothing', async () => {
    const s = await FsStorage.open(await tempDir())
    await s.write([{ ns: 'data', key: 'keep', value: text('1') }])
    await expect(s.write([{ ns: 'data', key: 'keep', value: text('2') }, { ns: 'data', key: 'x'.repeat(5000), value: text('3') }]))
      .rejects.toThrow(InvalidStorageOpError)
    expect(await s.get('data', 'keep')).toEqual(text('1'))
    await expect(s.get('data', 'y'.repeat(5000))).rejects.toThrow(InvalidStorageOpError)
    await s.close()
  })

  const garbage: Array<[string, () => Promise<Uint8Array>]> = [
    ['zero-filled', async () => new Uint8Array(64 * 1024)],
    ['random bytes', async () => Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 2654435761) >>> 24)],
    ['a one-byte file', async () => new Uint8Array([42])],
    ['a truncated real store', async () => (await realStoreFile()).subarray(0, 20 * 1024)],
    ['only the first meta page of a real store', async () => (await realStoreFile()).subarray(0, 4096)]
  ]
  for (const [what, contents] of garbage) {
    it(`gives a StorageOpenError, not a crash, for a data file that is ${what}`, async () => {
      const dir = await tempDir()
      await writeFile(join(dir, 'data.mdb'), await contents())
      const err = await FsStorage.open(dir).then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(StorageOpenError)
      expect((err as Error).message).toContain(dir)
    })
  }

  it('gives a StorageOpenError when the data dir is a file', async () => {
    const file = join(await tempDir(), 'not-a-dir')
    await writeFile(file, 'hello')
    await expect(FsStorage.open(file)).rejects.toThrow(StorageOpenError)
  })

  it('serves bit-rotted bytes as stored, and the engine seal detects them', async () => {
    const dir = await tempDir()
    const s = await FsStorage.open(dir)
    const marker = text('ringstore-bitrot-marker-'.repeat(4))
    await s.write([{ ns: 'data', key: 'rot', value: sealRecord(marker) }])
    await s.close()
    const file = join(dir, 'data.mdb')
    const bytes = await readFile(file)
    const at = bytes.indexOf(Buffer.from(marker))
    expect(at).toBeGreaterThan(0)
    bytes[at + 10] = (bytes[at + 10] as number) ^ 0x01
    await writeFile(file, bytes)
    const again = await FsStorage.open(dir)
    const stored = await again.get('data', 'rot')
    expect(stored).toBeDefined()
    expect(() => openRecord(stored as Uint8Array)).toThrow(CorruptRecordError)
    await again.close()
  })
})

/** A real, multi-page data file, for the truncation cases. */
async function realStoreFile (): Promise<Uint8Array> {
  const dir = await tempDir()
  const s = await FsStorage.open(dir)
  await s.write(Array.from({ length: 500 }, (_, i) => ({ ns: 'data' as const, key: `k${i}`, value: new Uint8Array(200) })))
  await s.close()
  return readFile(join(dir, 'data.mdb'))
}

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url))

/** Runs the crash writer on `dir`, SIGKILLs it after `acks` acknowledgements, returns the acked keys. */
async function runAndKill (dir: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--conditions=@ringstore/source', '--import', 'tsx', WRITER, dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const acked: string[] = []
  let partial = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n')
    partial = lines.pop() ?? ''
    acked.push(...lines)
    if (acked.length >= acks && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const signal = await exited
  if (signal !== 'SIGKILL') throw new Error(`crash writer exited on its own (${String(signal)}): ${stderr}`)
  // Lines read after the kill was sent were acknowledged before it landed: they count too.
  return acked
}
