import { describe, expect, it } from 'vitest'
import { InvalidSeedError, Rng } from '../src/rng.js'

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.int(0, 1_000_000))

describe('Rng', () => {
  it('replays the same numbers from the same seed', () => {
    expect(draws(Rng.fromSeed(7), 50)).toEqual(draws(Rng.fromSeed(7), 50))
    expect(draws(Rng.fromSeed(7), 50)).not.toEqual(draws(Rng.fromSeed(8), 50))
  })

  it('forks depend on the label chain only, not on draws made before', () => {
    const a = Rng.fromSeed(3)
    const b = Rng.fromSeed(3)
    draws(b, 17) // extra draws on the parent must not shift the fork
    expect(draws(a.fork('net'), 20)).toEqual(draws(b.fork('net'), 20))
    expect(draws(a.fork('net'), 20)).not.toEqual(draws(a.fork('workload'), 20))
    expect(draws(a.fork('x').fork('y'), 5)).toEqual(draws(Rng.fromSeed(3).fork('x').fork('y'), 5))
  })

  it('stays within its ranges', () => {
    const rng = Rng.fromSeed(1)
    for (let i = 0; i < 2000; i++) {
      const n = rng.int(-3, 4)
      expect(n).toBeGreaterThanOrEqual(-3)
      expect(n).toBeLessThanOrEqual(4)
      const f = rng.float()
      expect(f).toBeGreaterThanOrEqual(0)
      expect(f).toBeLessThan(1)
      expect(rng.exponential(5)).toBeGreaterThanOrEqual(0)
    }
    expect(rng.chance(0)).toBe(false)
    expect(rng.chance(1)).toBe(true)
    expect(() => rng.int(2, 1)).toThrow(RangeError)
    expect(() => rng.pick([])).toThrow(RangeError)
  })

  it('is roughly uniform and shuffles into permutations', () => {
    const rng = Rng.fromSeed(99)
    const counts = [0, 0, 0, 0]
    for (let i = 0; i < 4000; i++) counts[rng.int(0, 3)]!++
    for (const c of counts) expect(c).toBeGreaterThan(850)
    const items = [1, 2, 3, 4, 5, 6]
    const shuffled = rng.shuffle(items)
    expect([...shuffled].sort()).toEqual(items)
    expect(items).toEqual([1, 2, 3, 4, 5, 6])
    let hits = 0
    for (let i = 0; i < 1000; i++) if (rng.chance(0.25)) hits++
    expect(hits).toBeGreaterThan(190)
    expect(hits).toBeLessThan(310)
  })

  it('rejects seeds it could not print back exactly', () => {
    expect(() => Rng.fromSeed(1.5)).toThrow(InvalidSeedError)
    expect(() => Rng.fromSeed(2 ** 60)).toThrow(InvalidSeedError)
  })
})
