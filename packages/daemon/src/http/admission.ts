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
import { HttpError } from './respond.js'

/**
 * Default bound on /kv requests in progress. A daemon on this 2-core machine completes
 * ~1,000-3,500 writes/s at W=2 (bench cluster and W1), so 128 waiting requests are at most
 * ~0.1 s of work: a client that gets through waits about that at worst. Twice the bench's 64-client closed loop (all
 * on one daemon in W1a) still never sheds, while its open-loop client, which keeps up to
 * 256 connections per daemon, does get shed when it offers more than the daemons serve.
 */
export const DEFAULT_MAX_INFLIGHT = 128

/** Seconds a shed client is asked to wait (`Retry-After`, whole seconds by RFC 9110). */
export const OVERLOAD_RETRY_AFTER_S = 1

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
