/**
 * Admission control for the key-value routes: at most `limit` /kv requests in progress per
 * daemon. Beyond it a request is answered 503 `overloaded` at once, before its key, body
 * or the engine are touched, with `Retry-After`, so that an overloaded daemon sheds the
 * excess in microseconds instead of queueing it: without a bound, latency under an
 * arrival rate above capacity grows without limit (the bench's open loop at 2,000 ops/s
 * on 3 daemons) and every request ends up late, not just the excess.
 *
 * A request is in progress from its arrival until its reply is finished or its connection
 * closed ('close' on the response fires in both cases, exactly once).
 */
import type { ServerResponse } from 'node:http'
import { OVERLOAD_RETRY_AFTER_S } from '../constants.js'
import { HttpError } from './respond.js'

export class Admission {
  /** 0 = no bound. */
  readonly limit: number
  #inFlight = 0
  #shed = 0

  constructor (limit: number) {
    this.limit = limit
  }

  /** /kv requests in progress now. */
  get inFlight (): number {
    return this.#inFlight
  }

  /** Requests answered 503 `overloaded` since start. */
  get shed (): number {
    return this.#shed
  }

  /** True when one more request would pass the bound. */
  full (): boolean {
    return this.limit > 0 && this.#inFlight >= this.limit
  }

  /**
   * Admits the request behind `res` (counted until its response closes), or throws the
   * 503 `overloaded` HttpError to send instead.
   */
  admit (res: ServerResponse): void {
    if (this.full()) {
      this.#shed++
      throw new HttpError(503, 'overloaded', `this daemon already has ${this.#inFlight} key-value requests in progress (--max-inflight ${this.limit}); retry after ${OVERLOAD_RETRY_AFTER_S} s or through another daemon`,
        { inFlight: this.#inFlight, limit: this.limit }, { 'Retry-After': String(OVERLOAD_RETRY_AFTER_S) })
    }
    this.#inFlight++
    res.once('close', () => { this.#inFlight-- })
  }
}
