/**
 * The engine's Clock on real time, for the hosts (Node daemon, browser tab): wall-clock ms that
 * never step backwards within the process (the engine orders its own writes by it), the
 * platform's timers and Math.random. The engine itself never imports this file: it gets a
 * Clock injected (the simulator injects a virtual one).
 */
import type { Clock, TimerHandle } from '../interfaces.js'

export class SystemClock implements Clock {
  #last = 0
  #nextId = 1
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>()

  now (): number {
    // NTP or the OS may step the wall clock back; the engine's contract is non-decreasing.
    this.#last = Math.max(this.#last, Date.now())
    return this.#last
  }

  setTimer (ms: number, fn: () => void): TimerHandle {
    const id = this.#nextId++
    const timer = setTimeout(() => {
      this.#timers.delete(id)
      fn()
    }, Math.max(0, ms))
    this.#timers.set(id, timer)
    return { id }
  }

  clearTimer (handle: TimerHandle): void {
    const timer = this.#timers.get(handle.id)
    if (timer === undefined) return
    clearTimeout(timer)
    this.#timers.delete(handle.id)
  }

  random (): number {
    return Math.random()
  }

  /** Timers still pending (shutdown checks that the engine cancelled its own). */
  get pending (): number {
    return this.#timers.size
  }

  /** Cancel everything: after the peer stopped, nothing it scheduled may run. */
  clearAll (): void {
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }
}
