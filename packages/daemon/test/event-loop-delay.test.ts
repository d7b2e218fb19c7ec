/**
 * The event-loop delay histogram (http/event-loop-delay.ts): a loop blocked for 60 ms shows
 * as a timer that fired at least 50 ms late, in the bucket a scraper reads.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { EventLoopDelay, LOOP_DELAY_BUCKETS_S } from '../src/http/event-loop-delay.js'

let monitor: EventLoopDelay | undefined
afterEach(() => { monitor?.stop() })

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
