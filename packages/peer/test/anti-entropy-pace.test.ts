/**
 * Background anti-entropy must not crowd out live requests: a periodic round runs one
 * request at a time and pauses AE_PACE.pauseMs after every AE_PACE.sliceMs of work,
 * while a round asked for explicitly still runs at full speed. Time is the manual clock;
 * each 'ae-nodes' answer takes 1 ms of it. The walk is paced the same whether it follows
 * 'ae-roots' or replaces it (a peer without 'ae-roots'): these tests use the latter, which
 * walks every partition; the roots requests are paced too (last describe).
 */
import { describe, it, expect } from 'vitest'
import type { PeerId } from '@ringstore/core'
import { AntiEntropy } from '../src/cluster/anti-entropy.js'
import { AE_PACE, AE_PARTITIONS_IN_FLIGHT, AE_ROOTS_PER_REQUEST } from '../src/constants.js'
import { Pacer, sleep } from '../src/cluster/timers.js'
import { ManualClock, settle } from '@ringstore/testkit'
import { StaticMembership, TestCluster, ringOf } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'

const Q = 16
const INTERVAL_MS = 10_000
const EXCHANGE_MS = 1

interface Observed { maxInFlight: number, times: number[] }

/**
 * Nodes a and b with identical (empty) data; b answers each `timed` request after `ms`.
 * Timing 'ae-nodes', b refuses 'ae-roots' (an older peer), so a walks every partition.
 */
async function pair (timed: 'ae-nodes' | 'ae-roots' = 'ae-nodes', q = Q, ms = EXCHANGE_MS): Promise<{ c: TestCluster, a: TestNode, seen: Observed }> {
  const c = new TestCluster({ q, n: 2, r: 1, w: 1, requestTimeoutMs: 60_000, antiEntropyIntervalMs: INTERVAL_MS })
  const ids: PeerId[] = ['a', 'b']
  const membership = new StaticMembership(ringOf(ids, q))
  const [a, b] = ids.map((id) => c.add(id, { membership })) as [TestNode, TestNode]
  for (const node of [a, b]) await c.startNetwork(node)
  await settle()
  const seen: Observed = { maxInFlight: 0, times: [] }
  let inFlight = 0
  b.intercept = async (_from, request) => {
    if (timed === 'ae-nodes' && request.type === 'ae-roots') return { type: 'error', code: 'bad-request', message: 'unknown request' }
    if (request.type !== timed) return undefined
    seen.times.push(c.clock.now())
    seen.maxInFlight = Math.max(seen.maxInFlight, ++inFlight)
    await sleep(c.clock, ms)
    inFlight--
    return undefined
  }
  return { c, a, seen }
}

function gapsOf (times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number))
}

describe('anti-entropy pacing', () => {
  it('a periodic round runs one exchange at a time and pauses after every slice of work', async () => {
    const { c, a, seen } = await pair()
    const ae = new AntiEntropy(a.deps)
    ae.start()
    // The first round fires within 1.5 intervals; the second not before 0.5 interval after it.
    await c.clock.advance(INTERVAL_MS * 1.5 + 1_000)
    ae.stop()
    expect(a.deps.metrics.antiEntropyRounds).toBe(1)
    expect(seen.times).toHaveLength(Q)
    expect(seen.maxInFlight).toBe(1)
    const gaps = gapsOf(seen.times)
    const pauses = gaps.filter((gap) => gap >= AE_PACE.pauseMs)
    // A slice holds sliceMs / EXCHANGE_MS exchanges, then the pacer pauses.
    const perSlice = AE_PACE.sliceMs / EXCHANGE_MS
    expect(pauses).toHaveLength(Math.ceil(Q / perSlice) - 1)
    // Between pauses, the exchanges follow each other back to back.
    expect(gaps.filter((gap) => gap < AE_PACE.pauseMs).every((gap) => gap === EXCHANGE_MS)).toBe(true)
  })

  it('a round asked for explicitly runs at full speed', async () => {
    const { c, a, seen } = await pair()
    const round = new AntiEntropy(a.deps).runRound()
    await c.clock.advance(Q * EXCHANGE_MS)
    expect(await round).toEqual({ partitions: Q, keysRepaired: 0 })
    expect(seen.maxInFlight).toBe(AE_PARTITIONS_IN_FLIGHT)
    expect(gapsOf(seen.times).every((gap) => gap <= EXCHANGE_MS)).toBe(true)
  })
})

describe('anti-entropy pacing of the roots requests', () => {
  const q = 4 * AE_ROOTS_PER_REQUEST
  const perPeer = Math.ceil(q / AE_ROOTS_PER_REQUEST)

  it('a periodic round pauses after each roots request that uses up a slice', async () => {
    const { c, a, seen } = await pair('ae-roots', q, AE_PACE.sliceMs)
    const ae = new AntiEntropy(a.deps)
    ae.start()
    await c.clock.advance(INTERVAL_MS * 1.5 + 1_000)
    ae.stop()
    expect(a.deps.metrics.antiEntropyRounds).toBe(1)
    expect(seen.times).toHaveLength(perPeer)
    expect(seen.maxInFlight).toBe(1)
    expect(gapsOf(seen.times)).toEqual(Array(perPeer - 1).fill(AE_PACE.sliceMs + AE_PACE.pauseMs))
  })

  it('a round asked for explicitly does not pause', async () => {
    const { c, a, seen } = await pair('ae-roots', q, AE_PACE.sliceMs)
    const round = new AntiEntropy(a.deps).runRound()
    await c.clock.advance(perPeer * AE_PACE.sliceMs)
    expect(await round).toEqual({ partitions: q, keysRepaired: 0 })
    expect(gapsOf(seen.times)).toEqual(Array(perPeer - 1).fill(AE_PACE.sliceMs))
  })
})

describe('Pacer', () => {
  it('returns at once within a slice and pauses pauseMs once the slice is used up', async () => {
    const clock = new ManualClock(0)
    const pacer = new Pacer(clock, { sliceMs: 4, pauseMs: 8 })
    await pacer.step()
    await clock.advance(3)
    await pacer.step()
    expect(clock.pendingTimers()).toBe(0)
    await clock.advance(1)
    let done = false
    const step = pacer.step().then(() => { done = true })
    await clock.advance(7)
    expect(done).toBe(false)
    await clock.advance(1)
    await step
    expect(done).toBe(true)
    // A new slice starts after the pause.
    await clock.advance(3)
    await pacer.step()
    expect(clock.pendingTimers()).toBe(0)
  })
})
