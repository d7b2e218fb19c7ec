/**
 * One peer's view of virtual time: the engine's `Clock` backed by the shared scheduler.
 * Each peer has its own clock (so a crash silences exactly that peer's timers) and its own
 * random stream (so one peer's draws never shift another's).
 */
import type { Clock, TimerHandle } from '@ringstore/peer'
import { SIM_EPOCH_MS } from './constants.js'
import type { EventHandle, Scheduler } from './scheduler.js'
import type { Rng } from './rng.js'

export interface SimClockOptions {
  /** This peer's wall clock runs this many ms ahead (negative: behind) of virtual time. */
  readonly skewMs?: number
  /** Called when a timer callback throws: an engine bug the checker reports. */
  readonly onError?: (error: unknown) => void
}

export class SimClock implements Clock {
  private alive = true
  private nextId = 1
  private readonly timers = new Map<number, EventHandle>()
  private readonly skewMs: number
  private readonly onError: (error: unknown) => void

  constructor (private readonly scheduler: Scheduler, private readonly rng: Rng, options: SimClockOptions = {}) {
    this.skewMs = options.skewMs ?? 0
    this.onError = options.onError ?? ((error) => { throw error })
  }

  /** Integer ms: the wire codec and stored versions carry whole milliseconds. */
  now (): number {
    return SIM_EPOCH_MS + this.skewMs + Math.floor(this.scheduler.now)
  }

  setTimer (ms: number, fn: () => void): TimerHandle {
    const id = this.nextId++
    if (!this.alive) return { id }
    const handle = this.scheduler.schedule(ms, () => {
      this.timers.delete(id)
      if (!this.alive) return
      try {
        fn()
      } catch (error) {
        this.onError(error)
      }
    })
    this.timers.set(id, handle)
    return { id }
  }

  clearTimer (handle: TimerHandle): void {
    const event = this.timers.get(handle.id)
    if (event === undefined) return
    this.scheduler.cancel(event)
    this.timers.delete(handle.id)
  }

  random (): number {
    return this.rng.float()
  }

  /** Timers waiting to fire (for tests). */
  pendingTimers (): number {
    return this.timers.size
  }

  /** The process died: no timer of this clock ever fires again. */
  halt (): void {
    this.alive = false
    for (const handle of this.timers.values()) this.scheduler.cancel(handle)
    this.timers.clear()
  }

  get halted (): boolean {
    return !this.alive
  }
}
