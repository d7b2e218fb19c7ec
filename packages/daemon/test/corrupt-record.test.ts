/**
 * Bits flipped in stored values on one of three real daemons, while it is stopped (what
 * bit rot on its disk does). The daemon restarts; its checksum catches the damage. A read
 * through it must not answer 404 "no such key" from its own corrupt copy (it did, with
 * R=1): it answers from the other replicas, counts the corruption on /metrics and /status,
 * and read repair puts the good version back. A key nobody reads is repaired by
 * anti-entropy, whose Merkle leaf for a corrupt record differs from the good replicas'.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataKey } from '@ringstore/peer'
import { FsStorage } from '@ringstore/storage-fs'
import { Fixture, get, http, metrics, poll, put, replicaValues, waitForCluster } from './support.js'
import type { Daemon, ReplicaBody } from './support.js'

/** Anti-entropy off at first: the first repair must be the read's. */
const QUIET = ['--anti-entropy-interval-ms', '0']

/** Flips one bit in the value of each of `keys` in the stopped daemon's store. */
async function flipBits (dataDir: string, keys: readonly string[]): Promise<void> {
  const storage = await FsStorage.open(join(dataDir, 'store'))
  try {
    for (const key of keys) {
      const raw = await storage.get('data', dataKey(key))
      if (raw === undefined) throw new Error(`no record of ${key} in ${dataDir}`)
      const copy = new Uint8Array(raw)
      copy[copy.length - 3] = (copy[copy.length - 3] as number) ^ 0x10
      await storage.write([{ ns: 'data', key: dataKey(key), value: copy }])
    }
  } finally {
    await storage.close()
  }
}

async function replicaOf (d: Daemon, key: string): Promise<{ status: number, body: ReplicaBody & { error?: string } }> {
  const reply = await http(d.http, 'GET', `/replica/${encodeURIComponent(key)}`)
  return { status: reply.status, body: reply.json as unknown as ReplicaBody & { error?: string } }
}

describe('a value corrupted on disk on one of three daemons', () => {
  const fixture = new Fixture()
  let a: Daemon, b: Daemon, c: Daemon

  beforeAll(async () => {
    a = await fixture.start('rot-a', QUIET)
    ;[b, c] = await Promise.all([fixture.start('rot-b', [...QUIET, '--bootstrap', a.tcp]), fixture.start('rot-c', [...QUIET, '--bootstrap', a.tcp])])
    await waitForCluster([a, b, c])
  })
  afterAll(async () => { await fixture.killAll() })

  it('is answered from the other replicas (never 404), counted, and repaired by the read, then by anti-entropy', async () => {
    // N=3 of 3 daemons: every daemon holds both keys.
    for (const key of ['rot-read', 'rot-ae']) expect((await put(a, key, `good:${key}`, { w: 3 })).status).toBe(204)
    expect((await fixture.kill(c, 'SIGTERM')).code).toBe(0)
    await flipBits(c.dataDir, ['rot-read', 'rot-ae'])
    c = await fixture.restart(c)
    await waitForCluster([a, b, c])

    // R=1 through the damaged daemon: before, its own corrupt copy alone answered 404.
    const read = await get(c, 'rot-read', { r: 1 })
    expect([read.status, Buffer.from(read.bytes).toString('utf8')]).toEqual([200, 'good:rot-read'])
    expect((await metrics(c)).get('ringstore_corrupt_records_total')).toBeGreaterThanOrEqual(2)
    const status = (await http(c.http, 'GET', '/status')).json as { corruptRecords?: number }
    expect(status.corruptRecords).toBeGreaterThanOrEqual(2)

    // Read repair overwrote the damaged copy.
    await poll('c holds the good rot-read again', async () => {
      const local = await replicaOf(c, 'rot-read')
      return local.status === 200 && replicaValues(local.body).join() === 'good:rot-read'
    })
    // The key nobody read is still damaged, and says so (not "not found").
    const damaged = await replicaOf(c, 'rot-ae')
    expect([damaged.status, damaged.body.error]).toEqual([503, 'corrupt'])

    // Anti-entropy on: the corrupt leaf differs from the good replicas', so the round repairs it.
    expect((await fixture.kill(c, 'SIGTERM')).code).toBe(0)
    c = await fixture.start('rot-c', ['--anti-entropy-interval-ms', '300', '--bootstrap', a.tcp])
    await poll('anti-entropy restored rot-ae on c', async () => {
      const local = await replicaOf(c, 'rot-ae')
      return local.status === 200 && replicaValues(local.body).join() === 'good:rot-ae'
    }, 30_000, 200)
    // The round adds its repairs to the counter when it ends, which may be after the key
    // was already back (the rest of its partitions are still being walked).
    await poll('the anti-entropy round that repaired rot-ae to end and count it', async () =>
      ((await metrics(c)).get('ringstore_antientropy_keys_repaired_total') ?? 0) > 0, 30_000, 200)
  })
})
