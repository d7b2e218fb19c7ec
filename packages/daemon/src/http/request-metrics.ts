/**
 * What the HTTP layer measures itself: the duration of every key-value request as the
 * client sees it (from the request's arrival to the last byte of the reply, whatever the
 * outcome) per operation, and replies per status code. The engine keeps raw latency
 * samples in a bounded buffer; a histogram needs every observation counted, so the
 * daemon counts here.
 */
import type { Operation } from '@ringstore/peer'
import { Histogram } from '../prometheus.js'
import type { HistogramSeries } from '../prometheus.js'

/**
 * Seconds. From 0.25 ms (a local read) to 5 s (well past the 1 s request timeout: a slow
 * quorum shows up in the top buckets).
 */
export const DURATION_BUCKETS_S = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export class RequestMetrics {
  readonly #durations: Record<Operation, Histogram> = {
    get: new Histogram(DURATION_BUCKETS_S),
    put: new Histogram(DURATION_BUCKETS_S),
    delete: new Histogram(DURATION_BUCKETS_S)
  }

  readonly #responses = new Map<number, number>()

  observe (op: Operation | null, status: number, seconds: number): void {
    if (op !== null) this.#durations[op].observe(seconds)
    this.#responses.set(status, (this.#responses.get(status) ?? 0) + 1)
  }

  durationSeries (): HistogramSeries[] {
    return (['get', 'put', 'delete'] as const).map((op) => this.#durations[op].series({ op }))
  }

  responses (): Array<readonly [{ code: string }, number]> {
    return [...this.#responses].sort(([a], [b]) => a - b).map(([code, count]) => [{ code: String(code) }, count] as const)
  }
}
