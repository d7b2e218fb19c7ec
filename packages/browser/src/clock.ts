/**
 * The engine's Clock in a browser tab: wall-clock ms that never step backwards (the engine
 * orders its own writes by it), window timers, Math.random.
 */
import type { Clock, TimerHandle } from '@ringstore/peer'

export class BrowserClock implements Clock {
  #last = 0
  #nextId = 1
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>()

  now (): number {
    // The OS may step the wall clock back; the engine's contract is non-decreasing.
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
    clearTimeout(this.#timers.get(handle.id))
    this.#timers.delete(handle.id)
  }

  random (): number {
    return Math.random()
  }

  /** Cancel everything: after the peer stopped, nothing it scheduled may run. */
  clearAll (): void {
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }
}
