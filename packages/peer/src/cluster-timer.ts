/**
 * Timers of the cluster path, built on the injected Clock only (so the simulator replays
 * them): a periodic task with jitter, a one-shot debounce, and a runner that never lets two
 * runs of the same job overlap.
 */
import type { Clock, TimerHandle } from './interfaces.js'

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
