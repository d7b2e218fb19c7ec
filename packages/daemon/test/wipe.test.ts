/**
 * A daemon loses its data directory and is started again with the same command line.
 *
 * The identity key lives in the data directory, so the restarted daemon is a NEW member
 * (new peer id) and the old one stays in the table as an unreachable member (failure
 * detection never removes a member; removal is an explicit act, docs/design.md).
 * "Anti-entropy restores its data" therefore means: the new member takes its share of
 * partitions by the ring change, and every key whose preference list now names it reaches
 * its store, in the latest version, through anti-entropy (and ownership transfer), with no
 * client writing or reading those keys.
 */
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, get, metrics, poll, put, replica, replicaValues, status, waitForCluster } from './support.js'
import type { Daemon } from './support.js'

/** Short anti-entropy period so that restoration happens within the test's patience. */
const ARGS = ['--anti-entropy-interval-ms', '500']

describe('a daemon whose data dir was wiped', () => {
  const fixture = new Fixture()
  let a: Daemon, b: Daemon, c: Daemon

  beforeAll(async () => {
    a = await fixture.start('wipe-a', ARGS)
    ;[b, c] = await Promise.all([fixture.start('wipe-b', [...ARGS, '--bootstrap', a.tcp]), fixture.start('wipe-c', [...ARGS, '--bootstrap', a.tcp])])
    await waitForCluster([a, b, c])
  })
  afterAll(async () => { await fixture.killAll() })

  it('comes back as a new member and anti-entropy fills its share of the data', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `doc-${i}`)
    for (const key of keys) expect((await put(key.length % 2 === 0 ? a : b, key, `v:${key}`)).status).toBe(204)
    // Every key everywhere (N=3 of 3) before the loss.
    await poll('c holds every key', async () => (await status(c)).keys === keys.length)

    expect((await fixture.kill(c, 'SIGKILL')).signal).toBe('SIGKILL')
    await rm(c.dataDir, { recursive: true, force: true })
    const fresh = await fixture.restart(c)
    expect(fresh.peerId).not.toBe(c.peerId)
    expect((await status(fresh)).keys).toBe(0)

    // The newcomer joins (it owns partitions in everyone's ring); the lost identity stays
    // a member that nobody can reach.
    await waitForCluster([a, b, fresh])
    const seen = await status(a)
    expect(seen.members.find((m) => m.peerId === c.peerId)).toMatchObject({ status: 'active', reachable: false })

    // Which keys the newcomer must hold: those whose preference list names it now.
    const mine = await poll('ring settled at the newcomer', async () => {
      const placements = await Promise.all(keys.map(async (key) => await replica(fresh, key)))
      return placements.every((p) => p.preferenceList.length === 3) ? placements.filter((p) => p.replicates).map((p) => p.key) : false
    })
    expect(mine.length).toBeGreaterThan(0)

    await poll(`the newcomer's ${mine.length} keys restored`, async () => {
      for (const key of mine) {
        const local = await replica(fresh, key)
        if (!local.found || replicaValues(local).join() !== `v:${key}`) return false
      }
      return true
    }, 60_000, 250)

    // Anti-entropy did (at least part of) the work: nobody read or wrote these keys.
    let repaired = 0
    for (const d of [a, b, fresh]) repaired += (await metrics(d)).get('ringstore_antientropy_keys_repaired_total') ?? 0
    expect(repaired).toBeGreaterThan(0)
    // Nothing was lost for anyone: every key is readable through the newcomer.
    for (const key of keys) {
      const read = await get(fresh, key)
      expect([read.status, Buffer.from(read.bytes).toString('utf8')]).toEqual([200, `v:${key}`])
    }
  })
})
