/**
 * The admission controller of background work (cluster/background-throttle.ts): background
 * pauses grow with the foreground's p99 over the trailing window, and only then; and a
 * periodic anti-entropy round, paced by it, gives way to slow foreground requests.
 */
import { describe, expect, it } from 'vitest'
import type { PeerId } from '@ringstore/core'
import { ManualClock, settle } from '@ringstore/testkit'
import { AntiEntropy } from '../src/cluster/anti-entropy.js'
import { BackgroundThrottle } from '../src/cluster/background-throttle.js'
import { sleep } from '../src/cluster/timers.js'
import { AE_PACE } from '../src/constants.js'
import { StaticMembership, TestCluster, ringOf } from './cluster-harness.js'
import { bytes, startCluster } from './cluster-helpers.js'

const OPTIONS = { targetMs: 50, windowMs: 1000, maxPauseMs: 1000 }

describe('BackgroundThrottle', () => {
  it('keeps the base pace without foreground traffic or while it is fast', async () => {
    const clock = new ManualClock(0)
    const throttle = new BackgroundThrottle(clock, OPTIONS)
    expect(throttle.pressure()).toBe(0)
    expect(throttle.pauseMs(8)).toBe(8)
    expect(throttle.pauseMs(0)).toBe(0)
    await clock.advance(100)
    for (let i = 0; i < 500; i++) throttle.observe(20)
    expect(throttle.pressure()).toBeCloseTo(0.4)
    expect(throttle.pauseMs(8)).toBe(8)
    expect(throttle.deferrals).toBe(0)
  })

  it('lengthens pauses as the square of the pressure, up to the cap, and counts them', async () => {
    const clock = new ManualClock(0)
    const throttle = new BackgroundThrottle(clock, OPTIONS)
    for (let i = 0; i < 100; i++) throttle.observe(100)
    expect(throttle.pressure()).toBe(2)
    expect(throttle.pauseMs(8)).toBe(32)
    // Work that never pauses pauses too, from a small floor.
    expect(throttle.pauseMs(0)).toBe(16)
    const paused = throttle.pause(8)
    let done = false
    void paused.then(() => { done = true })
    await clock.advance(31)
    expect(done).toBe(false)
    await clock.advance(1)
    expect(done).toBe(true)
    expect(throttle.deferrals).toBe(1)
    expect(throttle.deferredMs).toBe(24)
    await clock.advance(100)
    for (let i = 0; i < 100; i++) throttle.observe(5_000)
    expect(throttle.pauseMs(8)).toBe(OPTIONS.maxPauseMs)
  })

  it('reads the tail, not the worst: one slow request in a hundred is no pressure, two are', () => {
    const clock = new ManualClock(0)
    const one = new BackgroundThrottle(clock, OPTIONS)
    for (let i = 0; i < 99; i++) one.observe(10)
    one.observe(1_000)
    expect(one.pressure()).toBeCloseTo(0.2)
    const two = new BackgroundThrottle(clock, OPTIONS)
    for (let i = 0; i < 98; i++) two.observe(10)
    two.observe(1_000)
    two.observe(1_000)
    expect(two.pressure()).toBe(20)
  })

  it('forgets the foreground once the window has passed: an idle peer repairs at full pace', async () => {
    const clock = new ManualClock(0)
    const throttle = new BackgroundThrottle(clock, OPTIONS)
    for (let i = 0; i < 100; i++) throttle.observe(400)
    expect(throttle.pauseMs(8)).toBeGreaterThan(8)
    await clock.advance(OPTIONS.windowMs + 1)
    expect(throttle.pressure()).toBe(0)
    expect(throttle.pauseMs(8)).toBe(8)
  })
})

describe('anti-entropy under foreground pressure', () => {
  const Q = 16
  const INTERVAL_MS = 10_000

  /** a and b with the same (empty) data; b answers each 'ae-nodes' after 1 ms (the walk of every partition). */
  async function round (foregroundMs: number | null): Promise<{ span: number, deferrals: number, exchanges: number }> {
    const c = new TestCluster({ q: Q, n: 2, r: 1, w: 1, requestTimeoutMs: 60_000, antiEntropyIntervalMs: INTERVAL_MS })
    const ids: PeerId[] = ['a', 'b']
    const membership = new StaticMembership(ringOf(ids, Q))
    const [a, b] = ids.map((id) => c.add(id, { membership }))
    if (a === undefined || b === undefined) throw new Error('two nodes')
    for (const node of [a, b]) await c.startNetwork(node)
    await settle()
    const times: number[] = []
    b.intercept = async (_from, request) => {
      if (request.type === 'ae-roots') return { type: 'error', code: 'bad-request', message: 'unknown request' }
      if (request.type !== 'ae-nodes') return undefined
      times.push(c.clock.now())
      await sleep(c.clock, 1)
      return undefined
    }
    const throttle = new BackgroundThrottle(c.clock, OPTIONS)
    // Foreground requests keep arriving all along (one every 50 ms), each taking `foregroundMs`.
    let feeding = foregroundMs !== null
    const tick = (): void => {
      if (!feeding || foregroundMs === null) return
      throttle.observe(foregroundMs)
      c.clock.setTimer(50, tick)
    }
    tick()
    const ae = new AntiEntropy({ ...a.deps, throttle })
    ae.start()
    await c.clock.advance(INTERVAL_MS * 1.5 + 1_000)
    ae.stop()
    feeding = false
    expect(a.deps.metrics.antiEntropyRounds).toBe(1)
    return { span: (times.at(-1) ?? 0) - (times[0] ?? 0), deferrals: throttle.deferrals, exchanges: times.length }
  }

  it('a periodic round slows down while foreground requests are slow, and keeps its pace while they are fast', async () => {
    const idle = await round(null)
    const fast = await round(10)
    const slow = await round(150)
    // Every partition is still compared, whatever the load: background work is slowed, never dropped.
    expect([idle.exchanges, fast.exchanges, slow.exchanges]).toEqual([Q, Q, Q])
    expect(fast.span).toBe(idle.span)
    expect(fast.deferrals).toBe(0)
    // p99 150 ms against a 50 ms target: pressure 3, each pause 9 × AE_PACE.pauseMs.
    // The pacer pauses after each slice (sliceMs of 1 ms exchanges), the last one included.
    const slices = Q / AE_PACE.sliceMs
    expect(slow.deferrals).toBe(slices)
    // Between the first and the last exchange: every pause but the last, 9× as long.
    expect(slow.span - idle.span).toBe((slices - 1) * AE_PACE.pauseMs * 8)
  })
})

describe('a peer feeds its throttle', () => {
  it('slow coordinated writes raise the pressure in its status, and it falls back once they stop', async () => {
    const c = await startCluster(['p1', 'p2', 'p3'])
    try {
      await settle()
      const p1 = c.peer('p1')
      await p1.put('orders/1', bytes('fast'))
      expect(p1.status().background.pressure).toBeLessThan(1)
      // p1's replica-puts to the others go unanswered: each put waits the request timeout
      // for its W-th ack (and fails), far past the throttle's target.
      c.hub.lose((from, _to, request) => from === 'p1' && request.type === 'replica-put')
      const slow = Array.from({ length: 4 }, async (_, i) => await p1.put(`orders/slow-${i}`, bytes('slow')).catch(() => null))
      await c.clock.advance(p1.config.requestTimeoutMs + 100)
      await Promise.all(slow)
      c.hub.lose(null)
      await c.clock.advance(100)
      expect(p1.status().background.pressure).toBeGreaterThan(1)
      await c.clock.advance(2_000)
      expect(p1.status().background.pressure).toBe(0)
    } finally {
      await c.stopAll()
    }
  })
})
