/**
 * Timers of the cluster path, built on the injected Clock only (so the simulator replays
 * them): a periodic task with jitter, a one-shot debounce, a runner that never lets two
 * runs of the same job overlap, and a pacer that spreads background work over time.
 */
import type { BackgroundThrottle } from './background-throttle.js'
import type { Clock, TimerHandle } from '../interfaces.js'

/**
 * Runs `task` every `intervalMs`, each delay drawn uniformly from [0.5, 1.5) × interval so
 * that peers started together do not fire in lockstep. The next run is scheduled only after
 * the previous one settled: a slow round delays the next instead of piling up.
 */
export class PeriodicTask {
  readonly #clock: Clock
  readonly #intervalMs: number
  readonly #task: () => Promise<unknown>
  #timer: TimerHandle | undefined
  #running = false

  constructor (clock: Clock, intervalMs: number, task: () => Promise<unknown>) {
    this.#clock = clock
    this.#intervalMs = intervalMs
    this.#task = task
  }

  /** Starts the schedule; a non-positive interval means "never" (runs only when asked). */
  start (): void {
    if (this.#running || this.#intervalMs <= 0) return
    this.#running = true
    this.#schedule()
  }

  stop (): void {
    this.#running = false
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer)
    this.#timer = undefined
  }

  #schedule (): void {
    const delay = this.#intervalMs * (0.5 + this.#clock.random())
    this.#timer = this.#clock.setTimer(delay, () => {
      this.#timer = undefined
      if (!this.#running) return
      // The task reports its own failures; the catch only keeps the schedule alive.
      this.#task().catch(() => undefined).finally(() => {
        if (this.#running) this.#schedule()
      })
    })
  }
}

/** Calls `fn` once, `delayMs` after the first `trigger()` of a burst. */
export class Debounce {
  readonly #clock: Clock
  readonly #delayMs: number
  readonly #fn: () => void
  #timer: TimerHandle | undefined

  constructor (clock: Clock, delayMs: number, fn: () => void) {
    this.#clock = clock
    this.#delayMs = delayMs
    this.#fn = fn
  }

  trigger (): void {
    if (this.#timer !== undefined) return
    this.#timer = this.#clock.setTimer(this.#delayMs, () => {
      this.#timer = undefined
      this.#fn()
    })
  }

  cancel (): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer)
    this.#timer = undefined
  }
}

/**
 * Serialises runs of one job: a run asked while another is in flight starts after it (it
 * does not share the earlier result: a caller asking for a round after a heal must get a
 * round that started after the heal).
 */
export class SerialRunner {
  #tail: Promise<unknown> = Promise.resolve()

  run<T> (job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job, job)
    this.#tail = result.catch(() => undefined)
    return result
  }
}

/** Resolves after `ms` on `clock`. */
export async function sleep (clock: Clock, ms: number): Promise<void> {
  await new Promise<void>((resolve) => { clock.setTimer(ms, resolve) })
}

/** How a background job shares the event loop: work for `sliceMs`, then pause `pauseMs`. */
export interface PaceOptions {
  readonly sliceMs: number
  readonly pauseMs: number
}

/**
 * Spreads background maintenance (anti-entropy, tombstone GC) over time so that it never
 * crowds out foreground requests. The job calls `step()` after each unit of work (one
 * partition); once the job has run `sliceMs` since its last pause, `step()` waits
 * `pauseMs` on the clock. Awaiting a reply already yields to the event loop, but a job
 * that always has its next request ready keeps every turn of the loop partly busy from
 * start to end: a round of 1024 cheap exchanges did that for ~350 ms on two daemons, and
 * writes arriving meanwhile waited ~25 ms each. The pause caps the job's share of the
 * loop at sliceMs / (sliceMs + pauseMs) of the time, whatever the size of the data.
 */
export class Pacer {
  readonly #clock: Clock
  readonly #pace: PaceOptions
  readonly #throttle: Pick<BackgroundThrottle, 'pause'> | undefined
  #sliceStart: number

  /** With `throttle`, each pause lengthens while foreground requests are slow (background-throttle.ts). */
  constructor (clock: Clock, pace: PaceOptions, throttle?: Pick<BackgroundThrottle, 'pause'>) {
    this.#clock = clock
    this.#pace = pace
    this.#throttle = throttle
    this.#sliceStart = clock.now()
  }

  /** Call between units of work: pauses when the current slice is used up. */
  async step (): Promise<void> {
    if (this.#clock.now() - this.#sliceStart < this.#pace.sliceMs) return
    if (this.#throttle === undefined) await sleep(this.#clock, this.#pace.pauseMs)
    else await this.#throttle.pause(this.#pace.pauseMs)
    this.#sliceStart = this.#clock.now()
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start. Errors
 * are the callee's business: `fn` must not reject (wrap it if it may).
 */
export async function forEachBounded<T> (items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
