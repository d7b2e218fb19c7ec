/**
 * Each daemon's event-loop delay over one phase: `ringstore_event_loop_delay_seconds` (a
 * histogram of how late a 10 ms timer fired, packages/daemon/src/http/event-loop-delay.ts)
 * scraped from /metrics before and after the phase; the difference of the cumulative
 * buckets is the phase's own distribution, and its p99 is read the way Prometheus'
 * histogram_quantile does (linear within the bucket). A p99 in the lowest bucket reads as
 * that bucket's share of its upper bound: the loop was never late by more. The same scrape
 * reads the daemon's garbage-collection pause total (`ringstore_gc_pause_seconds`, every
 * kind's `_sum`), so a phase's stall can be split into the collector's share and the rest.
 */
import type { Agent } from 'node:http'
import { httpRequest } from './http.js'
import type { Endpoint } from './http.js'

/** Cumulative counts at each upper bound (seconds), ascending, +Inf last. */
export type LoopDelayBuckets = ReadonlyArray<readonly [le: number, cumulative: number]>

const BUCKET = /^ringstore_event_loop_delay_seconds_bucket\{le="([^"]+)"\} (\S+)$/
const GC_SUM = /^ringstore_gc_pause_seconds_sum\{[^}]*\} (\S+)$/

/** One scrape of a daemon: its loop-delay histogram and its GC pause seconds so far. */
export interface LoopScrape {
  readonly delay: LoopDelayBuckets
  readonly gcPauseSeconds: number
}

export function parseLoopDelay (metricsText: string): LoopDelayBuckets {
  const buckets: Array<readonly [number, number]> = []
  for (const line of metricsText.split('\n')) {
    const m = BUCKET.exec(line)
    if (m === null) continue
    buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])])
  }
  return buckets.sort(([a], [b]) => a - b)
}

/** Every GC kind's pause seconds together. */
export function parseGcPauseSeconds (metricsText: string): number {
  let total = 0
  for (const line of metricsText.split('\n')) {
    const m = GC_SUM.exec(line)
    if (m !== null) total += Number(m[1])
  }
  return total
}

export async function scrapeLoopDelay (agent: Agent, to: Endpoint): Promise<LoopScrape> {
  const reply = await httpRequest(agent, to, 'GET', '/metrics')
  if (reply.status !== 200) throw new Error(`GET /metrics: HTTP ${reply.status}`)
  const text = reply.body.toString('utf8')
  return { delay: parseLoopDelay(text), gcPauseSeconds: parseGcPauseSeconds(text) }
}

/** The `q` quantile (0..1), in ms, of the samples taken between two scrapes; null without samples. */
export function loopDelayQuantileMs (before: LoopDelayBuckets, after: LoopDelayBuckets, q = 0.99): number | null {
  const counts = after.map(([le, cumulative], i) => [le, cumulative - (before[i]?.[1] ?? 0)] as const)
  const total = counts.at(-1)?.[1] ?? 0
  if (total <= 0) return null
  const rank = q * total
  let lower = 0
  let below = 0
  for (const [le, cumulative] of counts) {
    if (cumulative >= rank) {
      // Past the last finite bound: all we know is "more than it".
      if (!Number.isFinite(le)) return Math.round(lower * 1e6) / 1e3
      const within = cumulative - below
      const share = within === 0 ? 1 : (rank - below) / within
      return Math.round((lower + (le - lower) * share) * 1e6) / 1e3
    }
    lower = le
    below = cumulative
  }
  return null
}

/** Each daemon's event-loop delay p99 (ms) between two scrapes of them all (null: a scrape failed). */
export function loopDelayP99Between (before: ReadonlyArray<LoopScrape | null>, after: ReadonlyArray<LoopScrape | null>): Array<number | null> {
  return after.map((end, i) => {
    const start = before[i]
    return end === null || start === null || start === undefined ? null : loopDelayQuantileMs(start.delay, end.delay)
  })
}

/** Each daemon's garbage-collection pauses (ms, all kinds) between two scrapes (null: a scrape failed). */
export function gcPauseMsBetween (before: ReadonlyArray<LoopScrape | null>, after: ReadonlyArray<LoopScrape | null>): Array<number | null> {
  return after.map((end, i) => {
    const start = before[i]
    return end === null || start === null || start === undefined ? null : Math.round((end.gcPauseSeconds - start.gcPauseSeconds) * 1e6) / 1e3
  })
}
