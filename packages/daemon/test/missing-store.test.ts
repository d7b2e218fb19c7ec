/**
 * The store of a data dir disappears (deleted, emptied, a volume not mounted) while the
 * identity beside it stays. Before, the daemon started empty under that identity, silently.
 * It must refuse (exit 1, a message naming the data dir and --allow-empty-store), start
 * with --allow-empty-store (warning), from then on start normally again, and get its
 * share of the data back from the other replicas.
 */
import { cp, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Fixture, poll, put, replica, replicaValues, status, waitForCluster } from './support.js'
import type { Daemon } from './support.js'

async function refusedStart (fixture: Fixture, d: Daemon): Promise<{ code: number | null, signal: NodeJS.Signals | null, stderr: string }> {
  const raw = fixture.spawnRaw(['start', '--data-dir', d.dataDir, ...d.args])
  const exit = await raw.exited
  return { ...exit, stderr: raw.stderr.join('\n') }
}

describe('a data dir whose store is gone while its identity stays', () => {
  const fixture = new Fixture()
  afterAll(async () => { await fixture.killAll() })

  it('refuses to start, starts with --allow-empty-store, then starts as usual', async () => {
    let d = await fixture.start('lost')
    expect((await put(d, 'k', 'v', { n: 1, w: 1 })).status).toBe(204)
    const peerId = d.peerId
    expect((await fixture.kill(d, 'SIGTERM')).code).toBe(0)
    await rm(join(d.dataDir, 'store'), { recursive: true, force: true })

    const refused = await refusedStart(fixture, d)
    expect(refused.signal).toBeNull()
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('MissingStoreError')
    expect(refused.stderr).toContain(d.dataDir)
    expect(refused.stderr).toContain('--allow-empty-store')
    // Refusing created nothing in its place.
    const again = await refusedStart(fixture, d)
    expect([again.code, again.stderr.includes('MissingStoreError')]).toEqual([1, true])

    const allowed = await fixture.start('lost', ['--allow-empty-store'])
    expect(allowed.peerId).toBe(peerId)
    expect(allowed.stderr.join('\n')).toContain('--allow-empty-store: starting with an empty store')
    expect((await status(allowed)).keys).toBe(0)
    expect((await fixture.kill(allowed, 'SIGTERM')).code).toBe(0)

    // The new store is this identity's store now: a plain start takes it.
    d = await fixture.restart(d)
    expect(d.peerId).toBe(peerId)
    expect((await fixture.kill(d, 'SIGTERM')).code).toBe(0)
  })

  it('refuses a store emptied in place (data.mdb of 0 bytes) the same way', async () => {
    const d = await fixture.start('emptied')
    expect((await put(d, 'k', 'v', { n: 1, w: 1 })).status).toBe(204)
    expect((await fixture.kill(d, 'SIGTERM')).code).toBe(0)
    await truncate(join(d.dataDir, 'store', 'data.mdb'), 0)
    const refused = await refusedStart(fixture, d)
    expect([refused.signal, refused.code]).toEqual([null, 1])
    expect(refused.stderr).toContain('MissingStoreError')
  })

  it('refuses another data dir\'s store put in its place', async () => {
    const [one, two] = await Promise.all([fixture.start('own'), fixture.start('other')])
    await Promise.all([fixture.kill(one, 'SIGTERM'), fixture.kill(two, 'SIGTERM')])
    await rm(join(one.dataDir, 'store'), { recursive: true, force: true })
    await cp(join(two.dataDir, 'store'), join(one.dataDir, 'store'), { recursive: true })
    const refused = await refusedStart(fixture, one)
    expect([refused.signal, refused.code]).toEqual([null, 1])
    expect(refused.stderr).toContain('ForeignStoreError')
  })

  it('with --allow-empty-store, a member of three gets its keys back from the others, under the same identity', async () => {
    const args = ['--anti-entropy-interval-ms', '300']
    const a = await fixture.start('refill-a', args)
    const [b, c] = await Promise.all([fixture.start('refill-b', [...args, '--bootstrap', a.tcp]), fixture.start('refill-c', [...args, '--bootstrap', a.tcp])])
    await waitForCluster([a, b, c])
    const keys = Array.from({ length: 20 }, (_, i) => `refill-${i}`)
    for (const key of keys) expect((await put(a, key, `v:${key}`, { w: 3 })).status).toBe(204)
    expect((await fixture.kill(c, 'SIGTERM')).code).toBe(0)
    await rm(join(c.dataDir, 'store'), { recursive: true, force: true })

    expect((await refusedStart(fixture, c)).code).toBe(1)
    const refilled = await fixture.start('refill-c', [...args, '--bootstrap', a.tcp, '--allow-empty-store'])
    expect(refilled.peerId).toBe(c.peerId)
    // N=3 of 3 daemons: it replicates every key, and anti-entropy brings each back.
    await poll('the emptied member holds every key again', async () => {
      for (const key of keys) {
        const local = await replica(refilled, key)
        if (!local.found || replicaValues(local).join() !== `v:${key}`) return false
      }
      return true
    }, 30_000, 250)
  })
})
