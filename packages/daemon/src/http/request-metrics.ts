/**
 * What the HTTP layer measures itself: the duration of every key-value request as the
 * client sees it (from the request's arrival to the last byte of the reply, whatever the
 * outcome) per operation, and replies per status code. The engine keeps raw latency
 * samples in a bounded buffer; a histogram needs every observation counted, so the
 * daemon counts here.
 */
import type { Operation } from '@ringstore/peer'
import { DURATION_BUCKETS_S } from '../constants.js'
import { Histogram } from '../prometheus.js'
import type { HistogramSeries } from '../prometheus.js'

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
