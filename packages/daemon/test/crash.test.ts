/**
 * Crashes of real daemons: SIGKILL one of three while writes go on (sloppy quorum keeps
 * them succeeding, hints are delivered after the restart and the restarted replica holds
 * everything), and SIGKILL the coordinator in the middle of a concurrent write burst
 * (every write it acknowledged is in its own store after the restart, and readable).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, get, poll, put, replica, replicaValues, status, waitForCluster } from './support.js'
import type { Daemon } from './support.js'

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

describe('a daemon is SIGKILLed and restarted', () => {
  const fixture = new Fixture()
  let a: Daemon, b: Daemon, c: Daemon

  beforeAll(async () => {
    a = await fixture.start('crash-a')
    ;[b, c] = await Promise.all([fixture.start('crash-b', ['--bootstrap', a.tcp]), fixture.start('crash-c', ['--bootstrap', a.tcp])])
    await waitForCluster([a, b, c])
  })
  afterAll(async () => { await fixture.killAll() })

  it('keeps accepting W=2 writes while one replica is down, then hands the hints off and the replica catches up', async () => {
    const early = Array.from({ length: 10 }, (_, i) => `early-${i}`)
    for (const key of early) expect((await put(a, key, `v:${key}`)).status).toBe(204)

    expect((await fixture.kill(c, 'SIGKILL')).signal).toBe('SIGKILL')

    // Writes right after the kill: the first ones may wait for the dead replica's
    // connection to drop, none may fail.
    const during = Array.from({ length: 30 }, (_, i) => `during-${i}`)
    for (const [i, key] of during.entries()) {
      const reply = await put(i % 2 === 0 ? a : b, key, `v:${key}`)
      expect(reply.status, `${key}: ${reply.text}`).toBe(204)
    }
    // Updates of keys written before the crash, with their context.
    for (const key of early.slice(0, 5)) {
      const read = await get(b, key)
      expect((await put(b, key, `v2:${key}`, { context: read.context })).status).toBe(204)
    }
    for (const key of during) {
      const read = await get(i2d(key) % 2 === 0 ? b : a, key)
      expect([read.status, text(read.bytes)]).toEqual([200, `v:${key}`])
    }
    const pendingWhileDown = (await status(a)).hintsPending + (await status(b)).hintsPending
    expect(pendingWhileDown).toBeGreaterThanOrEqual(during.length)

    const restarted = await fixture.restart(c)
    expect(restarted.peerId).toBe(c.peerId)
    c = restarted

    await poll('hints delivered (hintsPending 0 on a and b)', async () => {
      const [sa, sb] = await Promise.all([status(a), status(b)])
      return sa.hintsPending === 0 && sb.hintsPending === 0
    }, 30_000)
    // The restarted replica's own store holds every key, in its latest version.
    const expected = new Map<string, string>([
      ...early.map((k, i): [string, string] => [k, i < 5 ? `v2:${k}` : `v:${k}`]),
      ...during.map((k): [string, string] => [k, `v:${k}`])
    ])
    for (const [key, value] of expected) {
      const local = await replica(c, key)
      expect(local.found, key).toBe(true)
      expect(replicaValues(local), key).toEqual([value])
      // And a read that needs all three replicas succeeds through it.
      const read = await get(c, key, { r: 3 })
      expect([read.status, text(read.bytes)]).toEqual([200, value])
    }
  })
})

/** The index in a `during-<i>` key. */
function i2d (key: string): number {
  return Number(key.slice(key.lastIndexOf('-') + 1))
}

describe('SIGKILL in the middle of a write burst', () => {
  const fixture = new Fixture()
  let a: Daemon, b: Daemon, c: Daemon

  beforeAll(async () => {
    a = await fixture.start('burst-a')
    ;[b, c] = await Promise.all([fixture.start('burst-b', ['--bootstrap', a.tcp]), fixture.start('burst-c', ['--bootstrap', a.tcp])])
    await waitForCluster([a, b, c])
  })
  afterAll(async () => { await fixture.killAll() })

  it('keeps every write the killed coordinator acknowledged', async () => {
    const acknowledged = new Set<string>()
    let killed = false
    const KILL_AFTER = 150
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !killed; i++) {
        const key = `burst-${w}-${i}`
        try {
          const reply = await put(a, key, `v:${key}`)
          if (reply.status === 204) acknowledged.add(key)
          if (acknowledged.size >= KILL_AFTER && !killed) {
            killed = true
            a.process.kill('SIGKILL')
          }
        } catch {
          return // connection refused/reset: the coordinator is gone
        }
      }
    }
    // 16 concurrent writers: the kill lands while commits are in flight.
    await Promise.all(Array.from({ length: 16 }, async (_, w) => { await writer(w) }))
    const exit = await a.exited
    expect(exit.signal).toBe('SIGKILL')
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER)

    a = await fixture.restart(a)
    // A write is acknowledged only after the coordinator's own copy is on disk: all there,
    // straight after the restart (anti-entropy runs every 10 s: it had no time to help).
    const missing: string[] = []
    for (const key of acknowledged) {
      const local = await replica(a, key)
      if (!local.found || replicaValues(local).join() !== `v:${key}`) missing.push(key)
    }
    expect(missing).toEqual([])
    await waitForCluster([a, b, c])
    for (const key of acknowledged) {
      const read = await get(b, key)
      expect([read.status, text(read.bytes)]).toEqual([200, `v:${key}`])
    }
  })
})
