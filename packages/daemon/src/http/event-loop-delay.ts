/**
 * How late the daemon's event loop runs: a timer due every SAMPLE_MS, and how late each one
 * fired, counted in a histogram (`ringstore_event_loop_delay_seconds`). A request that
 * arrives while the loop is busy waits that long before any of its code runs, so this is
 * the stall every request's latency carries. Cumulative buckets let a scraper take the
 * distribution of any interval (the bench's per-phase p99: bench/loop-delay.ts) from two
 * scrapes, which node:perf_hooks' monitorEventLoopDelay (percentiles since its last reset,
 * one reader) does not.
 *
 * Cost: SAMPLE_MS = 10 is 100 timer callbacks a second, with the timer unref'd so it never
 * keeps the process alive. Each one wakes an idle process: ~85 µs of CPU per wake-up on the
 * bench machine's VM (8.4-9.3 ms a second in a process doing nothing else, 2026-12-07;
 * node's C++ monitorEventLoopDelay at the same period: 3.4 ms, but it keeps no bucket
 * counts), which is ~100 of an idle daemon's ~110 wake-ups a second and most of its idle
 * CPU (bench/README.md, "Where the time goes").
 */
import { Histogram } from '../prometheus.js'
import type { HistogramSeries } from '../prometheus.js'

const SAMPLE_MS = 10

/** Seconds late: from timer noise (~0.1 ms) to a stall worth a page. */
export const LOOP_DELAY_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export class EventLoopDelay {
  readonly #histogram = new Histogram(LOOP_DELAY_BUCKETS_S)
  #timer: ReturnType<typeof setTimeout> | undefined
  #due = 0

  start (): void {
    if (this.#timer !== undefined) return
    this.#arm()
  }

  stop (): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  series (): HistogramSeries {
    return this.#histogram.series({})
  }

  #arm (): void {
    this.#due = performance.now() + SAMPLE_MS
    this.#timer = setTimeout(() => {
      this.#histogram.observe(Math.max(0, performance.now() - this.#due) / 1000)
      this.#arm()
    }, SAMPLE_MS)
    this.#timer.unref()
  }
}
