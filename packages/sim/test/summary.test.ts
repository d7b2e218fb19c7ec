import { describe, expect, it } from 'vitest'
import { replayCommand } from '../src/run.js'
import type { RunResult } from '../src/run.js'
import { formatFailure, formatSummary, summarize } from '../src/summary.js'

const result = (seed: number, extra: Partial<RunResult> = {}): RunResult => ({
  seed,
  peers: 5,
  ops: 10,
  acknowledged: 4,
  failed: 1,
  atSiblingCap: 0,
  pending: 0,
  lost: 0,
  truncated: 0,
  resurrected: 0,
  convergenceRounds: 1,
  tombstonesCollected: 2,
  siblingHistogram: { 1: 3, 2: 1 },
  faultsInjected: 3,
  faultCounts: { crash: 1, partition: 2 },
  violations: [],
  virtualMs: 1500,
  events: 100,
  requests: { ping: 15, 'members-digest': 30, 'replica-put': 6 },
  ...extra
})

describe('summaries', () => {
  it('adds up seeds and names the failing ones with their replay command', () => {
    const failing = result(8, { lost: 1, violations: [{ kind: 'lost-write', key: 'k1', message: 'acknowledged put #3 of k1 is missing on p2' }] })
    const s = summarize([result(7, { truncated: 3, atSiblingCap: 1, maxClockEntries: 130 }), failing], { peers: 5, faults: 'heavy' })
    // Writes refused at the sibling cap are shown among the failed ones.
    expect(formatSummary(s)).toContain('failed 2 (1 at the sibling cap)  unanswered')
    expect(s).toMatchObject({ seeds: 2, firstSeed: 7, lastSeed: 8, ops: 20, lost: 1, truncated: 3, violations: 1, failingSeeds: [8] })
    // Superseded writes whose record truncation dropped are shown apart from the lost ones.
    expect(formatSummary(s)).toContain('lost 1  resurrected 0  violations 1  (superseded writes whose actor clock truncation forgot: 3)')
    expect(s.siblingHistogram).toEqual({ 1: 6, 2: 2 })
    // The largest clock over the seeds (young records keep up to 256 entries).
    expect(formatSummary(s)).toContain('siblings per key (converged): 1:6 2:2  clock entries per key: max 130')
    expect(s.faultCounts).toEqual({ crash: 2, partition: 4 })
    expect(formatSummary(s)).toMatch(/FAILED seeds: 8/)
    // 2 seeds × 5 peers × 1.5 virtual s = 15 peer-seconds: 60 digests, 30 pings, 12 replica-puts.
    expect(formatSummary(s)).toContain('requests per peer and virtual second: members-digest 4.00, ping 2.00, replica-put 0.80')
    const report = formatFailure(failing, { peers: 5 })
    expect(report).toContain('npm run sim -- --peers 5 --seed 8')
    expect(report).toContain('[lost-write] acknowledged put #3 of k1 is missing on p2')
  })

  it('replay commands carry the options that differ from the defaults', () => {
    expect(replayCommand(3)).toBe('npm run sim -- --peers 5 --seed 3')
    expect(replayCommand(3, { peers: 7, faults: 'light', ops: 200, churn: true })).toBe('npm run sim -- --peers 7 --seed 3 --ops 200 --faults light --churn')
    expect(replayCommand(3, { churn: true, rogue: true })).toBe('npm run sim -- --peers 5 --seed 3 --churn --rogue')
    expect(replayCommand(3, { peers: 1000, ops: 10000, clients: 64 })).toBe('npm run sim -- --peers 1000 --seed 3 --ops 10000 --clients 64')
    expect(replayCommand(3, { peers: 1000, coldStart: true })).toBe('npm run sim -- --peers 1000 --seed 3 --cold-start')
  })
})
