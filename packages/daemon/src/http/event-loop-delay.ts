/**
 * How late the daemon's event loop runs: a timer due every SAMPLE_MS, and how late each one
 * fired, counted in a histogram (`ringstore_event_loop_delay_seconds`). A request that
 * arrives while the loop is busy waits that long before any of its code runs, so this is
 * the stall every request's latency carries. Cumulative buckets let a scraper take the
 * distribution of any interval (the bench's per-phase p99: bench/loop-delay.ts) from two
 * scrapes.
 *
 * The timer is node:perf_hooks' monitorEventLoopDelay: a libuv timer that records each
 * interval between its callbacks in an HDR histogram (3 significant digits: ±4 µs at 10 ms)
 * without entering JavaScript. It is never reset (a reset also drops the interval in
 * progress, so a stall that spans one would go uncounted); a scrape reads the cumulative
 * bucket counts off its all-time distribution instead (`countUpTo`).
 *
 * Why not a JS timer: each sample wakes an idle process, and a JS timer's wake-up costs
 * ~85 µs of CPU on the bench machine's VM against ~35 µs for the libuv one (a process doing
 * nothing else: 8.4-13 ms against 3.4-4.1 ms a second, 2026-12-07). At 100 samples a second
 * that was most of an idle daemon's CPU (bench/README.md, "Where the time goes").
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'
import type { HistogramSeries } from '../prometheus.js'

const SAMPLE_MS = 10
const NS_PER_S = 1e9
const SAMPLE_NS = SAMPLE_MS * 1e6

/** Seconds late: from timer noise (~0.1 ms) to a stall worth a page. */
export const LOOP_DELAY_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export class EventLoopDelay {
  /** Created at the first start; kept after stop so its samples stay readable. */
  #monitor: IntervalHistogram | undefined
  #running = false

  start (): void {
    if (this.#running) return
    this.#monitor ??= monitorEventLoopDelay({ resolution: SAMPLE_MS })
    this.#monitor.enable()
    this.#running = true
  }

  stop (): void {
    if (!this.#running) return
    this.#monitor?.disable()
    this.#running = false
  }

  /**
   * Every sample since the first start; a sample's lateness is its interval − SAMPLE_MS.
   * The sum is count × (mean interval − SAMPLE_MS), from the histogram's mean (±4 µs per
   * sample); an interval a little under SAMPLE_MS (libuv counts the next due time from the
   * loop's cached clock) offsets a late one by that much.
   */
  series (): HistogramSeries {
    const monitor = this.#monitor
    const count = monitor?.count ?? 0
    if (monitor === undefined || count === 0) {
      return { labels: {}, buckets: LOOP_DELAY_BUCKETS_S.map((le) => [le, 0] as const), sum: 0, count: 0 }
    }
    // Bounds ascend, so each count starts from the one before; every bound at or above the
    // longest interval holds them all (most bounds, most of the time: no search).
    const longest = monitor.max
    let atLeast = 0
    const buckets = LOOP_DELAY_BUCKETS_S.map((le) => {
      const ns = SAMPLE_NS + le * NS_PER_S
      atLeast = longest <= ns ? count : countUpTo(monitor, atLeast, count, ns)
      return [le, atLeast] as const
    })
    const sum = Math.max(0, (monitor.mean - SAMPLE_NS) * count / NS_PER_S)
    return { labels: {}, buckets, sum, count }
  }
}

/**
 * How many of the `count` recorded intervals are at most `ns`, knowing that at least
 * `atLeast` are: the largest r whose r-th smallest interval (the histogram's percentile
 * 100·r/count) is ≤ ns, by bisection. Each percentile walks the HDR counts (~10 µs), so a
 * scrape costs ~0.1-3 ms depending on how many bounds need a search.
 */
function countUpTo (monitor: IntervalHistogram, atLeast: number, count: number, ns: number): number {
  let below = atLeast
  let above = count + 1
  while (above - below > 1) {
    const r = Math.floor((below + above) / 2)
    if (monitor.percentile(100 * r / count) <= ns) below = r
    else above = r
  }
  return below
}
