/**
 * The event-loop delay histogram (http/event-loop-delay.ts): a loop blocked for 60 ms shows
 * as a timer that fired at least 50 ms late, in the bucket a scraper reads, also when a
 * scrape came just before; and sampling runs no JavaScript timer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EventLoopDelay, LOOP_DELAY_BUCKETS_S } from '../src/http/event-loop-delay.js'

let monitor: EventLoopDelay | undefined
afterEach(() => {
  monitor?.stop()
  vi.restoreAllMocks()
})

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Samples later than `seconds`, from the cumulative buckets. */
function laterThan (m: EventLoopDelay, seconds: number): number {
  const series = m.series()
  const below = series.buckets.find(([le]) => le === seconds)
  if (below === undefined) throw new Error(`no bucket at ${seconds}`)
  return series.count - below[1]
}

describe('event-loop delay', () => {
  it('counts a blocked loop in the bucket of its length', async () => {
    expect(LOOP_DELAY_BUCKETS_S).toContain(0.05)
    monitor = new EventLoopDelay()
    monitor.start()
    await sleep(100)
    expect(monitor.series().count).toBeGreaterThan(0)
    const before = laterThan(monitor, 0.05)
    const sumBefore = monitor.series().sum
    const until = performance.now() + 60
    while (performance.now() < until) { /* a 60 ms stall */ }
    await sleep(30)
    expect(laterThan(monitor, 0.05)).toBeGreaterThanOrEqual(before + 1)
    expect(monitor.series().sum - sumBefore).toBeGreaterThanOrEqual(0.05)
  })

  it('counts a stall that follows a scrape at once', async () => {
    monitor = new EventLoopDelay()
    monitor.start()
    await sleep(50)
    for (let i = 0; i < 3; i++) {
      const before = laterThan(monitor, 0.02)
      const until = performance.now() + 40
      while (performance.now() < until) { /* a 40 ms stall right after the scrape */ }
      await sleep(20)
      expect(laterThan(monitor, 0.02)).toBeGreaterThanOrEqual(before + 1)
    }
  })

  // Each JS timer callback wakes the process into JavaScript (~85 µs of CPU on the bench
  // machine): the samples are taken by libuv instead.
  it('takes its samples without a JavaScript timer', async () => {
    monitor = new EventLoopDelay()
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval')
    monitor.start()
    const until = performance.now() + 50
    while (performance.now() < until) await new Promise((resolve) => setImmediate(resolve))
    expect(setTimeoutSpy).not.toHaveBeenCalled()
    expect(setIntervalSpy).not.toHaveBeenCalled()
    await sleep(30)
    expect(monitor.series().count).toBeGreaterThan(0)
  })

  it('stops sampling once stopped', async () => {
    monitor = new EventLoopDelay()
    monitor.start()
    await sleep(50)
    monitor.stop()
    const count = monitor.series().count
    await sleep(50)
    expect(monitor.series().count).toBe(count)
  })
})
