/**
 * Each daemon's event-loop delay over one phase: `ringstore_event_loop_delay_seconds` (a
 * histogram of how late a 10 ms timer fired, packages/daemon/src/http/event-loop-delay.ts)
 * scraped from /metrics before and after the phase; the difference of the cumulative
 * buckets is the phase's own distribution, and its p99 is read the way Prometheus'
 * histogram_quantile does (linear within the bucket). A p99 in the lowest bucket reads as
 * that bucket's share of its upper bound: the loop was never late by more.
 */
import type { Agent } from 'node:http'
import { httpRequest } from './http.js'
import type { Endpoint } from './http.js'

/** Cumulative counts at each upper bound (seconds), ascending, +Inf last. */
export type LoopDelayBuckets = ReadonlyArray<readonly [le: number, cumulative: number]>

const BUCKET = /^ringstore_event_loop_delay_seconds_bucket\{le="([^"]+)"\} (\S+)$/

export function parseLoopDelay (metricsText: string): LoopDelayBuckets {
  const buckets: Array<readonly [number, number]> = []
  for (const line of metricsText.split('\n')) {
    const m = BUCKET.exec(line)
    if (m === null) continue
    buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])])
  }
  return buckets.sort(([a], [b]) => a - b)
}

export async function scrapeLoopDelay (agent: Agent, to: Endpoint): Promise<LoopDelayBuckets> {
  const reply = await httpRequest(agent, to, 'GET', '/metrics')
  if (reply.status !== 200) throw new Error(`GET /metrics: HTTP ${reply.status}`)
  return parseLoopDelay(reply.body.toString('utf8'))
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
export function loopDelayP99Between (before: ReadonlyArray<LoopDelayBuckets | null>, after: ReadonlyArray<LoopDelayBuckets | null>): Array<number | null> {
  return after.map((end, i) => {
    const start = before[i]
    return end === null || start === null || start === undefined ? null : loopDelayQuantileMs(start, end)
  })
}
