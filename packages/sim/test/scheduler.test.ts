import { describe, expect, it } from 'vitest'
import { Scheduler, SchedulerBoundError } from '../src/scheduler.js'
import { SimClock } from '../src/clock.js'
import { SIM_EPOCH_MS } from '../src/constants.js'
import { Rng } from '../src/rng.js'

describe('Scheduler', () => {
  it('fires events in time order, ties in insertion order, and moves virtual time', async () => {
    const s = new Scheduler()
    const log: string[] = []
    s.schedule(5, () => log.push(`b@${s.now}`))
    s.schedule(1, () => log.push(`a@${s.now}`))
    s.schedule(5, () => log.push(`c@${s.now}`))
    s.schedule(0, () => log.push(`z@${s.now}`))
    await s.runUntilIdle()
    expect(log).toEqual(['z@0', 'a@1', 'b@5', 'c@5'])
    expect(s.now).toBe(5)
    expect(s.eventsFired).toBe(4)
  })

  it('cancels events', async () => {
    const s = new Scheduler()
    const log: number[] = []
    const h = s.schedule(1, () => log.push(1))
    s.schedule(2, () => log.push(2))
    s.cancel(h)
    s.cancel(h)
    expect(s.pending()).toBe(1)
    await s.runUntilIdle()
    expect(log).toEqual([2])
  })

  it('lets promise chains started by an event settle before the next event', async () => {
    const s = new Scheduler()
    const log: string[] = []
    s.schedule(1, () => {
      void (async () => {
        for (let i = 0; i < 20; i++) await Promise.resolve()
        log.push('chain done')
      })()
    })
    s.schedule(1, () => log.push('second event'))
    await s.runUntilIdle()
    expect(log).toEqual(['chain done', 'second event'])
  })

  it('advance fires what is due and stops the clock exactly at the bound', async () => {
    const s = new Scheduler()
    const log: number[] = []
    s.schedule(10, () => log.push(10))
    s.schedule(30, () => log.push(30))
    await s.advance(20)
    expect(log).toEqual([10])
    expect(s.now).toBe(20)
    await s.advance(10)
    expect(log).toEqual([10, 30])
    expect(s.now).toBe(30)
  })

  it('runUntil stops when the predicate holds or at the time bound', async () => {
    const s = new Scheduler()
    let ticks = 0
    const tick = (): void => { ticks++; s.schedule(10, tick) }
    s.schedule(10, tick)
    expect(await s.runUntil(() => ticks >= 3, 1000)).toBe(true)
    expect(s.now).toBe(30)
    expect(await s.runUntil(() => ticks >= 1000, 55)).toBe(false)
    expect(s.now).toBe(85)
    expect(ticks).toBe(8)
  })

  it('drive runs the clock until a promise settles, and bounds the wait', async () => {
    const s = new Scheduler()
    const later = new Promise<string>((resolve) => s.schedule(40, () => resolve('done')))
    expect(await s.drive(later, 100)).toBe('done')
    expect(s.now).toBe(40)
    const failing = new Promise<string>((_resolve, reject) => s.schedule(5, () => reject(new Error('boom'))))
    await expect(s.drive(failing, 100)).rejects.toThrow('boom')
    await expect(s.drive(new Promise(() => {}), 50)).rejects.toBeInstanceOf(SchedulerBoundError)
  })

  it('reports an event that throws and keeps running', async () => {
    const errors: unknown[] = []
    const s = new Scheduler((e) => errors.push(e))
    const log: number[] = []
    s.schedule(1, () => { throw new Error('bad timer') })
    s.schedule(2, () => log.push(2))
    await s.runUntilIdle()
    expect(errors).toHaveLength(1)
    expect(log).toEqual([2])
  })

  it('bounds runUntilIdle against runs that never idle', async () => {
    const s = new Scheduler()
    const tick = (): void => { s.schedule(1, tick) }
    tick()
    await expect(s.runUntilIdle(100)).rejects.toBeInstanceOf(SchedulerBoundError)
  })
})

describe('SimClock', () => {
  it('reads virtual time as integer wall-clock ms with its skew', async () => {
    const s = new Scheduler()
    const clock = new SimClock(s, Rng.fromSeed(1), { skewMs: -7 })
    expect(clock.now()).toBe(SIM_EPOCH_MS - 7)
    await s.advance(2.6)
    expect(clock.now()).toBe(SIM_EPOCH_MS - 7 + 2)
  })

  it('fires and clears timers; a halted clock never fires again', async () => {
    const s = new Scheduler()
    const clock = new SimClock(s, Rng.fromSeed(1))
    const log: string[] = []
    clock.setTimer(5, () => log.push('a'))
    const b = clock.setTimer(6, () => log.push('b'))
    clock.setTimer(20, () => log.push('c'))
    clock.clearTimer(b)
    await s.advance(10)
    expect(log).toEqual(['a'])
    clock.halt()
    clock.setTimer(1, () => log.push('d'))
    await s.advance(100)
    expect(log).toEqual(['a'])
    expect(clock.pendingTimers()).toBe(0)
    expect(clock.halted).toBe(true)
  })

  it('draws randomness from its own stream', () => {
    const s = new Scheduler()
    const a = new SimClock(s, Rng.fromSeed(5).fork('p0'))
    const b = new SimClock(s, Rng.fromSeed(5).fork('p0'))
    const c = new SimClock(s, Rng.fromSeed(5).fork('p1'))
    const xs = [a.random(), a.random()]
    expect([b.random(), b.random()]).toEqual(xs)
    expect([c.random(), c.random()]).not.toEqual(xs)
  })

  it('reports a timer callback that throws instead of crashing the run', async () => {
    const s = new Scheduler()
    const errors: unknown[] = []
    const clock = new SimClock(s, Rng.fromSeed(1), { onError: (e) => errors.push(e) })
    clock.setTimer(1, () => { throw new Error('engine bug') })
    await s.runUntilIdle()
    expect(errors).toHaveLength(1)
  })

  it('drops cancelled events from the queue (their callbacks with them), and fires the rest in order', async () => {
    const s = new Scheduler()
    const log: number[] = []
    // A client session's long timers (due in an hour), cancelled when it goes away: 50,000
    // of them must not stay queued until their due time.
    for (let i = 0; i < 50_000; i++) {
      const held = new Uint8Array(64)
      const handle = s.schedule(3_600_000 + i, () => { log.push(held.length) })
      if (i % 1000 === 999) s.schedule(3_600_000 + i, () => { log.push(i) })
      s.cancel(handle)
    }
    expect(s.queued).toBeLessThan(5_000)
    expect(s.pending()).toBe(50)
    await s.runUntilIdle()
    expect(log).toEqual(Array.from({ length: 50 }, (_, k) => k * 1000 + 999))
  })
})
