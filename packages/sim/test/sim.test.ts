/**
 * The simulator as a test bench: hundreds of seeded 5-peer clusters under partitions,
 * crashes, restarts, loss, duplication and latency spikes, each checked for every invariant
 * of docs/design.md ("Invariants"). A failure names its seeds and the command that replays each one.
 */
import { describe, expect, it } from 'vitest'
import { runSeed } from '../src/run.js'
import type { RunOptions, RunResult } from '../src/run.js'
import { formatFailure, summarize } from '../src/summary.js'

/** Run seeds [from, from + count) and return the results; failures are reported by the caller. */
async function runSeeds (from: number, count: number, options: Partial<RunOptions>): Promise<RunResult[]> {
  const results: RunResult[] = []
  for (let seed = from; seed < from + count; seed++) results.push(await runSeed(seed, options))
  return results
}

function failures (results: readonly RunResult[], options: Partial<RunOptions>): string {
  return results.filter((r) => r.violations.length > 0).map((r) => formatFailure(r, options, 5)).join('\n')
}

const HEAVY: Partial<RunOptions> = { peers: 5, faults: 'heavy', ops: 80 }
const CHUNK = 100
const heavyResults: RunResult[] = []

describe('simulated 5-peer clusters under heavy faults: 500 seeds', () => {
  for (let chunk = 0; chunk < 5; chunk++) {
    const from = 1 + chunk * CHUNK
    it(`seeds ${from}..${from + CHUNK - 1} hold every invariant`, async () => {
      const results = await runSeeds(from, CHUNK, HEAVY)
      heavyResults.push(...results)
      expect(failures(results, HEAVY)).toBe('')
    })
  }

  it('actually exercised the faults and the engine paths it claims to test', () => {
    const s = summarize(heavyResults, { peers: 5, faults: 'heavy' })
    expect(s.seeds).toBe(500)
    expect(s.violations).toBe(0)
    // Not a vacuous pass: the schedule crashed, restarted and partitioned peers, writes
    // failed and went unanswered, siblings formed, tombstones were collected.
    expect(s.faultCounts.crash).toBeGreaterThan(500)
    expect(s.faultCounts.restart).toBeGreaterThan(250)
    expect(s.faultCounts.partition).toBeGreaterThan(500)
    expect(s.faultCounts.isolate).toBeGreaterThan(200)
    expect(s.acknowledged).toBeGreaterThan(10_000)
    expect(s.failed).toBeGreaterThan(1_000)
    expect(s.pending).toBeGreaterThan(50)
    expect(Object.keys(s.siblingHistogram).map(Number).some((k) => k >= 3)).toBe(true)
    expect(s.tombstonesCollected).toBeGreaterThan(100)
    expect(s.maxConvergenceRounds).toBeLessThanOrEqual(5)
  })
})

describe('simulated clusters with churn: peers join and leave during the run', () => {
  it('100 heavy-fault seeds with joins and leaves hold every invariant', async () => {
    const options: Partial<RunOptions> = { ...HEAVY, ops: 60, churn: true }
    const results = await runSeeds(2001, 100, options)
    expect(failures(results, options)).toBe('')
    const s = summarize(results, { peers: 5, faults: 'heavy' })
    expect(s.faultCounts.join).toBeGreaterThan(10)
    expect(s.faultCounts.leave).toBeGreaterThan(10)
  })
})

describe('an admitted cluster with a rogue peer (docs/trust.md)', () => {
  it('60 heavy-fault seeds, with joins, leaves and removals: the rogue never becomes a member, is refused every member-only request, none of its forgeries gets in, and every invariant holds', async () => {
    const options: Partial<RunOptions> = { ...HEAVY, ops: 60, churn: true, rogue: true }
    const results = await runSeeds(3001, 60, options)
    expect(failures(results, options)).toBe('')
    const s = summarize(results, { peers: 5, faults: 'heavy' })
    // The cluster really ran admitted: joins happened (new peers admitted on the way), and
    // the operator removed crashed members (signed by the run's authority, gossiped).
    expect(s.faultCounts.join).toBeGreaterThan(5)
    expect(s.faultCounts.remove).toBeGreaterThan(0)
    // Not a vacuous pass: every request type went out and reached honest peers; member-only
    // ones were refused, the client surface served the rogue, and writes of its own landed.
    const rogue = s.rogue!
    expect(rogue.types).toBe(22)
    // Each seed deals a shuffled deck of 37 attacks about every 20 virtual ms; a short seed can
    // end before its first deck is through, never two types short.
    expect(results.every((r) => Object.keys(r.rogue!.sent).length >= 21)).toBe(true)
    expect(rogue.forbidden).toBeGreaterThan(400)
    expect(rogue.served).toBeGreaterThan(800)
    expect(rogue.forgedWrites).toBeGreaterThan(400)
    expect(rogue.ownWrites).toBeGreaterThan(400)
    expect(rogue.ownValuesHeld).toBeGreaterThan(50)
  })
})

describe('simulated clusters under light and no faults', () => {
  it('100 light-fault seeds hold every invariant', async () => {
    const options: Partial<RunOptions> = { faults: 'light', ops: 80 }
    const results = await runSeeds(1001, 100, options)
    expect(failures(results, options)).toBe('')
  })

  it('50 fault-free seeds hold every invariant, every operation answered and successful', async () => {
    const options: Partial<RunOptions> = { faults: 'none', ops: 80 }
    const results = await runSeeds(2001, 50, options)
    expect(failures(results, options)).toBe('')
    expect(results.every((r) => r.failed === 0 && r.pending === 0)).toBe(true)
  })
})

describe('other cluster shapes under heavy faults', () => {
  it.each<[string, number, Partial<RunOptions>]>([
    ['3 peers (every peer replicates every key)', 3001, { peers: 3, ops: 80 }],
    ['7 peers, q = 256', 4001, { peers: 7, q: 256, clients: 6, ops: 80 }],
    ['3 hot keys, 100 ops', 5001, { keys: 3, ops: 100 }],
    // Coordinators' own writes often outlast their replicas' (staged mints), so crashes
    // catch versions the replicas hold and the coordinator's disk does not.
    ['slow uneven disks (fsync 1..60 ms), 2 hot keys', 6001, { keys: 2, ops: 100, fsyncMs: [1, 60] }]
  ])('%s: 60 seeds hold every invariant', async (_name, from, options) => {
    const results = await runSeeds(from, 60, options)
    expect(failures(results, options)).toBe('')
  })
})

describe('determinism', () => {
  it('the same seed gives the same result, whatever ran before it', async () => {
    const first = await runSeed(7, HEAVY)
    await runSeed(8, HEAVY) // other work in between must not leak into seed 7
    const second = await runSeed(7, HEAVY)
    expect(JSON.stringify(second)).toBe(JSON.stringify(first))
    const other = await runSeed(9, HEAVY)
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(first))
  })

  it('a rogue run replays from its seed: the rogue draws from the run\'s rng', async () => {
    const options: Partial<RunOptions> = { ...HEAVY, rogue: true }
    const first = await runSeed(7, options)
    const second = await runSeed(7, options)
    expect(first.rogue?.forbidden).toBeGreaterThan(0)
    expect(JSON.stringify(second)).toBe(JSON.stringify(first))
  })
})

describe('regressions found by the simulator', () => {
  // Each seed replays the scenario that exposed a bug, as the simulator draws it today;
  // the exact mechanics are pinned by unit tests (checker.test.ts, network.test.ts,
  // cluster.test.ts).
  //
  // Seeds 9, 11 and 15 (60 ops): the first checker indexed dots globally, but each key has
  // its own clock, so dot (p1:1, 2) of k0 and of k2 are different writes; it reported
  // false siblings. The checker now indexes dots per key.
  it.each([9, 11, 15])('seed %i: dots are per key', async (seed) => {
    const result = await runSeed(seed, { ops: 60 })
    expect(Object.keys(result.siblingHistogram).length).toBeGreaterThan(1)
    expect(result.violations).toEqual([])
  })

  // Seed 4 with churn: a leave was drained twice at once (the workload's leave and the
  // checker's drain) and one drain stopped the peer under the other's feet. Drains of one
  // peer are now shared.
  // Seeds 246 and 247 with churn: the hub dropped the announcement a leaving peer sent just
  // before it stopped, so the others never learnt it had left and its partitions stayed
  // unowned. Messages on the wire now arrive even when their sender stopped, and a leaving
  // peer is stopped only once every running peer knows it left.
  it.each([4, 246, 247])('seed %i with churn: leaves complete', async (seed) => {
    const result = await runSeed(seed, { ops: 60, churn: true })
    expect(result.faultCounts.leave ?? 0).toBeGreaterThan(0)
    expect(result.violations).toEqual([])
  })

  // Seeds 19 and 55 with churn (engine bug): hints for a peer that had left were retried
  // forever and never reached the key's new owners. handoff.ts now re-routes them.
  // Seed 113 with churn (engine bug): a put in flight while its coordinator finished leaving
  // fell back to minting locally after the stop, and was acknowledged from a copy nobody
  // would ever hand off (a lost acknowledged write). A stopped or departed peer now refuses
  // to mint (coordinator/put.ts). Since the coordinator replaces a silent primary with a
  // stand-in mid-write, seed 113 takes another path; seed 111 drives a put into that guard.
  it.each([19, 55, 111])('seed %i with churn: nothing stays with a departed peer', async (seed) => {
    const result = await runSeed(seed, { ops: 60, churn: true })
    expect(result.faultCounts.leave ?? 0).toBeGreaterThan(0)
    // Undelivered hints after the heal are reported as a violation, so this covers both bugs.
    expect(result.violations).toEqual([])
  })
})
