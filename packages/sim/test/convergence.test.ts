/**
 * Membership spreads by gossip rounds (peer's cluster/membership.ts: one digest exchange
 * with a random member per round), not by every peer telling every other: with the
 * announcements muted, a join and a leave in a 100-peer cluster reach every peer's table
 * within 2·log2 S rounds (≈ 13.3), as a push-pull epidemic should (log2 S + ln ln S).
 * Rounds, not time: a behaviour, the same on any machine.
 */
import { describe, expect, it } from 'vitest'
import { measureConvergence } from '../src/convergence.js'

describe('membership convergence', () => {
  it('a join and a leave reach all 100 peers within 2·log2 S gossip rounds', async () => {
    const figures = await measureConvergence(100, 1)
    expect(figures.map((f) => f.change)).toEqual(['join', 'leave'])
    for (const f of figures) {
      expect(f.rounds).toBeDefined()
      expect(f.rounds).toBeLessThanOrEqual(2 * Math.log2(100))
      // Not at once: the change did travel by rounds (a broadcast would be one).
      expect(f.rounds).toBeGreaterThan(1)
    }
  }, 120_000)
})
