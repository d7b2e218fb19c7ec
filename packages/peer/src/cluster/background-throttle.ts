/**
 * The admission controller of background work (the paper's §6.5): anti-entropy, tombstone
 * collection, hinted handoff and ownership transfer share a peer with the requests its
 * users wait for, and give way when those slow down.
 *
 * The signal is the latency of foreground work at this peer over a trailing window: the
 * operations it coordinates (get, put, delete: what its users see) and the replica and
 * client requests it serves for other coordinators (their local service time, mostly the
 * store's). Pressure is the window's p99 over `targetMs`. At or under 1 background work
 * keeps its own pace (AE_PACE's slices, handoff's pipeline); above it, every pause between
 * two units of background work grows as pressure² — twice the target's p99 is 4× the
 * pause, so a job at a third of the loop drops under a tenth — and work that never paused
 * (handoff, transfer) pauses that long between batches, up to `maxPauseMs`. The window
 * empties by itself when foreground traffic stops, so an idle peer always repairs at full
 * pace; and background work is slowed, never stopped, so hints and repairs still drain
 * under sustained load.
 *
 * Everything runs on the injected clock, so the sim replays it.
 */
import type { Request } from '@ringstore/core'
import type { Clock } from '../interfaces.js'
import { sleep } from './timers.js'

export interface AdmissionOptions {
  /** Foreground p99 (ms) above which background work slows down. */
  readonly targetMs: number
  /** The trailing window the p99 is taken over. */
  readonly windowMs: number
  /** Longest pause between two units of background work. */
  readonly maxPauseMs: number
}

/**
 * Requests served for others that someone waits for: a coordinator's reads and writes and a
 * client's. Not the ones background work itself sends (`replica-get-many` and
 * `replica-put-many` of anti-entropy, handoff and transfer, `ae-*`), nor gossip and probes.
 */
export const FOREGROUND_REQUESTS: ReadonlySet<Request['type']> = new Set<Request['type']>([
  'replica-get', 'replica-digest', 'replica-put', 'coordinate-put',
  'client-get', 'client-digest', 'client-put', 'client-put-many'
])

/** Latencies kept for the window: the p99 of 1,024 is the 11th largest, enough to be steady. */
const CAPACITY = 1024
/** The p99 is recomputed at most this often (a sort of ≤ 1,024 numbers). */
const RECOMPUTE_MS = 50
/** A pause under pressure is at least this long, even for work without a pause of its own. */
const MIN_PAUSE_MS = 4

export class BackgroundThrottle {
  readonly #clock: Clock
  readonly #options: AdmissionOptions
  readonly #latencies = new Float64Array(CAPACITY)
  readonly #times = new Float64Array(CAPACITY)
  #next = 0
  #size = 0
  #pressure = 0
  #computedAt = -Infinity
  /** Pauses that pressure lengthened (or caused), and the ms added: for status and metrics. */
  deferrals = 0
  deferredMs = 0

  constructor (clock: Clock, options: AdmissionOptions) {
    this.#clock = clock
    this.#options = options
  }

  /** A foreground operation took `ms`. */
  observe (ms: number): void {
    this.#latencies[this.#next] = ms
    this.#times[this.#next] = this.#clock.now()
    this.#next = (this.#next + 1) % CAPACITY
    if (this.#size < CAPACITY) this.#size++
  }

  /** Foreground p99 over the window ÷ target: 0 without traffic, > 1 when background should give way. */
  pressure (): number {
    const now = this.#clock.now()
    if (now - this.#computedAt < RECOMPUTE_MS) return this.#pressure
    this.#computedAt = now
    const recent: number[] = []
    for (let i = 0; i < this.#size; i++) {
      if (now - (this.#times[i] ?? -Infinity) <= this.#options.windowMs) recent.push(this.#latencies[i] ?? 0)
    }
    if (recent.length === 0) {
      this.#pressure = 0
      return 0
    }
    recent.sort((a, b) => a - b)
    const p99 = recent[Math.min(recent.length - 1, Math.ceil(recent.length * 0.99) - 1)] ?? 0
    this.#pressure = p99 / this.#options.targetMs
    return this.#pressure
  }

  /** How long to pause where background work would pause `baseMs` (0: where it would not). */
  pauseMs (baseMs: number): number {
    const pressure = this.pressure()
    if (pressure <= 1) return baseMs
    return Math.min(this.#options.maxPauseMs, Math.max(baseMs, MIN_PAUSE_MS) * pressure * pressure)
  }

  /** A pause of `pauseMs(baseMs)` on the clock, counted when pressure made it longer. */
  async pause (baseMs = 0): Promise<void> {
    const ms = this.pauseMs(baseMs)
    if (ms > baseMs) {
      this.deferrals++
      this.deferredMs += ms - baseMs
    }
    if (ms > 0) await sleep(this.#clock, ms)
  }
}
