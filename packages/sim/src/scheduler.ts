/**
 * Virtual time for the simulator: a priority queue of events ordered by (time, insertion
 * sequence), so two events at the same virtual instant always fire in the order they were
 * scheduled. Nothing here reads the real clock.
 *
 * The engine is async. Each event fires in its own real macrotask (a `setImmediate`
 * callback): Node drains the whole microtask queue after each one, so every promise chain
 * the event started settles (or parks on another virtual event) before the next event
 * fires. That keeps runs deterministic: the order of work depends only on the seed.
 *
 * The run loops queue those callbacks IMMEDIATES_PER_TURN at a time: Node runs every
 * immediate queued before its check phase in one event-loop turn, draining microtasks
 * between any two, so the events fire exactly as they would one turn each, without a turn
 * (and its poll for I/O) per event. Each callback decides then what to fire, from the
 * queue as the previous event's work left it.
 */
import { IMMEDIATES_PER_TURN, MAX_IDLE_EVENTS } from './constants.js'

/** A scheduled event; `cancel()` it through the scheduler. */
export interface EventHandle {
  readonly id: number
}

interface SimEvent {
  readonly time: number
  readonly seq: number
  /** Replaced by NOOP on cancel: a cancelled timer must not keep what its callback holds alive. */
  fn: () => void
  cancelled: boolean
}

const NOOP = (): void => {}

/**
 * Cancelled events still in the heap, past which it is rebuilt without them. A cancelled
 * event stays queued until its due time otherwise: a client session's timers due in an hour
 * (hint expiry, leases) would pile up over 100,000 sessions.
 */
const COMPACT_AFTER_CANCELLED = 4096

/** The run did not reach the state asked for within its bound. */
export class SchedulerBoundError extends Error {
  static override name = 'SchedulerBoundError'
  override name = 'SchedulerBoundError'
}

function earlier (a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}

/** Binary min-heap of events. */
class EventHeap {
  private readonly items: SimEvent[] = []

  get size (): number { return this.items.length }

  peek (): SimEvent | undefined { return this.items[0] }

  push (event: SimEvent): void {
    const items = this.items
    items.push(event)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(items[i] as SimEvent, items[parent] as SimEvent)) break
      ;[items[i], items[parent]] = [items[parent] as SimEvent, items[i] as SimEvent]
      i = parent
    }
  }

  /** Drops the events `keep` refuses; a sorted array is a valid min-heap, so the order of pops is unchanged. */
  compact (keep: (event: SimEvent) => boolean): void {
    const kept = this.items.filter(keep).sort((a, b) => (earlier(a, b) ? -1 : 1))
    this.items.length = 0
    for (const event of kept) this.items.push(event)
  }

  pop (): SimEvent | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last !== undefined) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let min = i
        if (l < items.length && earlier(items[l] as SimEvent, items[min] as SimEvent)) min = l
        if (r < items.length && earlier(items[r] as SimEvent, items[min] as SimEvent)) min = r
        if (min === i) break
        ;[items[i], items[min]] = [items[min] as SimEvent, items[i] as SimEvent]
        i = min
      }
    }
    return top
  }
}

/** Let every pending promise continuation run: one real macrotask boundary. */
export function settle (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export class Scheduler {
  private virtualNow = 0
  private seq = 0
  private fired = 0
  private readonly heap = new EventHeap()
  private readonly live = new Map<number, SimEvent>()
  private cancelledInHeap = 0

  /**
   * @param onError called when an event throws synchronously (an engine timer callback that
   * throws is a bug the checker reports); the run continues.
   */
  constructor (private readonly onError: (error: unknown) => void = (error) => { throw error }) {}

  /** Virtual milliseconds since the start of the run. */
  get now (): number { return this.virtualNow }

  /** Events fired so far (for summaries and bounds). */
  get eventsFired (): number { return this.fired }

  /** Events waiting to fire (cancelled ones excluded). */
  pending (): number { return this.live.size }

  /** Fire `fn` after `delayMs` virtual ms (negative or NaN delays count as 0). */
  schedule (delayMs: number, fn: () => void): EventHandle {
    const delay = delayMs > 0 ? delayMs : 0
    const event: SimEvent = { time: this.virtualNow + delay, seq: this.seq++, fn, cancelled: false }
    this.heap.push(event)
    this.live.set(event.seq, event)
    return { id: event.seq }
  }

  cancel (handle: EventHandle): void {
    const event = this.live.get(handle.id)
    if (event === undefined) return
    event.cancelled = true
    event.fn = NOOP
    this.live.delete(handle.id)
    this.cancelledInHeap++
    if (this.cancelledInHeap > COMPACT_AFTER_CANCELLED && this.cancelledInHeap > this.live.size) {
      this.heap.compact((e) => !e.cancelled)
      this.cancelledInHeap = 0
    }
  }

  /** Events in the queue, cancelled ones not yet dropped included (for tests of the queue's bound). */
  get queued (): number { return this.heap.size }

  /** Time of the next live event, or undefined when the queue is empty. */
  nextTime (): number | undefined {
    this.dropCancelled()
    return this.heap.peek()?.time
  }

  /** Fire the next event (if any) and let its promise chains settle. */
  async step (): Promise<boolean> {
    const fired = this.fireNext()
    await settle()
    return fired
  }

  /** Fire events until none is left. Periodic timers never idle: prefer `runUntil`. */
  async runUntilIdle (maxEvents = MAX_IDLE_EVENTS): Promise<void> {
    if (await this.run(Infinity, undefined, maxEvents) === 'bound') throw new SchedulerBoundError(`still busy after ${maxEvents} events`)
  }

  /** Fire every event due within the next `ms`, then move the clock to now + ms. */
  async advance (ms: number): Promise<void> {
    const until = this.virtualNow + Math.max(0, ms)
    await this.run(until)
    this.virtualNow = until
  }

  /**
   * Fire events until `predicate()` holds (checked before the first event and after each),
   * for at most `maxMs` virtual ms. Returns whether it held; the clock never passes the bound.
   */
  async runUntil (predicate: () => boolean, maxMs: number): Promise<boolean> {
    const until = this.virtualNow + Math.max(0, maxMs)
    if (await this.run(until, predicate) === 'held') return true
    this.virtualNow = Math.max(this.virtualNow, until)
    return predicate()
  }

  /**
   * Like `runUntil`, but checks `predicate` only every `everyMs` virtual ms: for predicates
   * too costly to evaluate after every event (a 200-peer membership comparison).
   */
  async pollUntil (predicate: () => boolean, maxMs: number, everyMs: number): Promise<boolean> {
    const until = this.virtualNow + Math.max(0, maxMs)
    for (;;) {
      if (predicate()) return true
      if (this.virtualNow >= until) return false
      await this.advance(Math.min(everyMs, until - this.virtualNow))
    }
  }

  /** Run until `promise` settles (or `maxMs` passes): drives the engine while awaiting it. */
  async drive<T> (promise: Promise<T>, maxMs: number): Promise<T> {
    let done = false
    const tracked = promise.finally(() => { done = true })
    // Attach a handler now so a rejection is not reported as unhandled while we drive time.
    tracked.catch(() => {})
    if (!(await this.runUntil(() => done, maxMs))) {
      throw new SchedulerBoundError(`promise still pending after ${maxMs} virtual ms`)
    }
    return await tracked
  }

  /** Pop the next live event, move the clock to it and fire it; false when none is left. */
  private fireNext (): boolean {
    this.dropCancelled()
    const event = this.heap.pop()
    if (event === undefined) return false
    this.live.delete(event.seq)
    this.virtualNow = event.time
    this.fired++
    try {
      event.fn()
    } catch (error) {
      this.onError(error)
    }
    return true
  }

  /**
   * Fire the events due by `until`, one per macrotask (see the file comment), until
   * `predicate` holds ('held', checked before each event), none is due ('idle'), or
   * `maxEvents` fired ('bound'). Rejects with what `onError` threw.
   */
  private run (until: number, predicate?: () => boolean, maxEvents = Infinity): Promise<'held' | 'idle' | 'bound'> {
    return new Promise((resolve, reject) => {
      let done = false
      let count = 0
      const finish = (outcome: 'held' | 'idle' | 'bound'): void => {
        done = true
        resolve(outcome)
      }
      const turn = (): void => {
        if (done) return
        try {
          if (predicate?.() === true) return finish('held')
          const next = this.nextTime()
          if (next === undefined || next > until) return finish('idle')
          if (count >= maxEvents) return finish('bound')
          count++
          this.fireNext()
        } catch (error) {
          done = true
          reject(error)
        }
      }
      const queueTurns = (): void => {
        for (let i = 1; i < IMMEDIATES_PER_TURN; i++) setImmediate(turn)
        // The last of the batch queues the next batch (it runs in the following loop turn).
        setImmediate(() => {
          turn()
          if (!done) queueTurns()
        })
      }
      queueTurns()
    })
  }

  private dropCancelled (): void {
    for (let top = this.heap.peek(); top !== undefined && top.cancelled; top = this.heap.peek()) {
      this.heap.pop()
      this.cancelledInHeap--
    }
  }
}
