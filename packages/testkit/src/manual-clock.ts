/**
 * A Clock for unit tests: time moves only when the test says so. `advance(ms)` fires the
 * timers that fall due, in due-time order (ties in the order they were set), with `now()`
 * at each timer's due time, and lets the async work each timer starts settle before the
 * next one fires. Randomness is a seeded mulberry32, so a test replays exactly.
 */
import type { Clock, TimerHandle } from '@ringstore/peer'

interface Timer {
  readonly id: number
  readonly due: number
  readonly seq: number
  readonly fn: () => void
}

/** Upper bound on timers fired by one advance(): a timer re-arming itself at 0 ms would loop forever. */
const MAX_TIMERS_PER_ADVANCE = 1_000_000

export class ManualClock implements Clock {
  #now: number
  #seq = 0
  #rng: number
  readonly #timers = new Map<number, Timer>()

  constructor (startMs = 0, seed = 1) {
    this.#now = startMs
    this.#rng = seed >>> 0
  }

  now (): number {
    return this.#now
  }

  setTimer (ms: number, fn: () => void): TimerHandle {
    const id = ++this.#seq
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    this.#timers.set(id, { id, due: this.#now + delay, seq: id, fn })
    return { id }
  }

  clearTimer (handle: TimerHandle): void {
    this.#timers.delete(handle.id)
  }

  /** mulberry32: small, fast, good enough for jitter and test data. */
  random (): number {
    this.#rng = (this.#rng + 0x6d2b79f5) >>> 0
    let t = this.#rng
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Timers set and not yet fired or cleared. */
  pendingTimers (): number {
    return this.#timers.size
  }

  /**
   * Move time forward by `ms`, firing every timer due up to the new time (including timers
   * set by the ones that fire), each after the work started by the previous has settled.
   */
  async advance (ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms)
    await settle()
    for (let fired = 0; fired < MAX_TIMERS_PER_ADVANCE; fired++) {
      const next = this.#nextDue()
      if (next === undefined || next.due > target) break
      this.#timers.delete(next.id)
      this.#now = Math.max(this.#now, next.due)
      next.fn()
      await settle()
    }
    this.#now = target
  }

  #nextDue (): Timer | undefined {
    let best: Timer | undefined
    for (const timer of this.#timers.values()) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer
    }
    return best
  }
}

/**
 * Let every pending promise chain run to completion. Loopback delivery and MemoryStorage
 * only use promises (microtasks), so one trip through the host's macrotask queue drains
 * them all; a few trips cover chains that themselves await a macrotask.
 */
export async function settle (rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    // A real macrotask yield is the point; no timing depends on it.
    await new Promise<void>((resolve) => setTimeout(resolve, 0))
  }
}
