/**
 * A paused peer (SIGSTOP) that is the first primary of a key whose write arrives at a
 * daemon that is not a replica of it. That daemon forwards the put (`coordinate-put`) to
 * the first reachable primary; a silent one must be given up on (after a ping that goes
 * unanswered, protocol/coordinate-put.ts) and the next primary asked, all within the 2 s the
 * engine allows for routing around a silent peer. Before the ping existed the forward
 * waited 2 × the request timeout (~2.04 s).
 *
 * 4 daemons, N=2, default request timeout. Each write goes to a daemon outside the key's
 * preference list, and the paused daemon is the key's first primary, so every write below
 * is a forward that meets the silent peer first — unless the coordinator already marked
 * it unreachable from an earlier timeout, which only makes the write faster.
 */
import { DEFAULT_CONFIG } from '@ringstore/peer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, get, put, replica, startCluster } from './support.js'
import type { Daemon } from './support.js'

/** The engine's bound: a silent peer is routed around within this long. */
const ROUTE_AROUND_BOUND_MS = 2_000
/** Forwarded writes made while the peer is paused, one after another from each coordinator. */
const WRITES_PER_COORDINATOR = 3

describe('a paused first primary of a forwarded put (SIGSTOP, default request timeout)', () => {
  const fixture = new Fixture()
  let daemons: Daemon[] = []
  let paused: Daemon | undefined

  beforeAll(async () => {
    const args = ['--n', '2', '--r', '1', '--w', '2', '--request-timeout-ms', String(DEFAULT_CONFIG.requestTimeoutMs)]
    daemons = await startCluster(fixture, 'pause-forward', 4, args)
  })
  afterAll(async () => {
    paused?.process.kill('SIGCONT')
    await fixture.killAll()
  })

  it('gives up on the silent primary and has the next one coordinate, within 2 s', async () => {
    const [observer] = daemons as [Daemon]
    const target = daemons[3] as Daemon
    const coordinators = daemons.filter((d) => d !== target)
    // For each coordinator, keys whose first primary is the target and that it does not replicate.
    const plan: Array<{ coordinator: Daemon, key: string }> = []
    for (const coordinator of coordinators) {
      for (let i = 0, found = 0; found < WRITES_PER_COORDINATOR; i++) {
        const key = `fwd-${coordinator.name}-${i}`
        const { preferenceList } = await replica(observer, key)
        if (preferenceList[0] === target.peerId && !preferenceList.includes(coordinator.peerId)) {
          plan.push({ coordinator, key })
          found++
        }
      }
    }
    // Warm every connection (a forward from each coordinator to the target answers).
    for (const coordinator of coordinators) expect((await put(coordinator, `warm-${coordinator.name}`, 'w')).status).toBe(204)

    target.process.kill('SIGSTOP')
    paused = target
    const results = await Promise.all(coordinators.map(async (coordinator) => {
      const out: Array<{ key: string, status: number, ms: number, text: string }> = []
      for (const { key } of plan.filter((p) => p.coordinator === coordinator)) {
        const started = performance.now()
        const reply = await put(coordinator, key, `v:${key}`)
        out.push({ key, status: reply.status, ms: performance.now() - started, text: reply.text })
      }
      return out
    }))
    const writes = results.flat()
    expect(writes.filter((w) => w.status !== 204).map((w) => `${w.key}: ${w.status} ${w.text}`)).toEqual([])
    expect(Math.max(...writes.map((w) => w.ms))).toBeLessThan(ROUTE_AROUND_BOUND_MS)
    // The writes stand: readable through the coordinators while the target is still paused
    // (R=2: with R=1 the first answer may come from a fallback that holds nothing, which a
    // sloppy quorum allows).
    for (const { coordinator, key } of plan) {
      const reply = await get(coordinator, key, { r: 2 })
      expect(reply.status, key).toBe(200)
      expect(reply.text, key).toBe(`v:${key}`)
    }
  })
})
