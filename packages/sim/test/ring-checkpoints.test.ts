/**
 * Ring checkpoints (peer's cluster/membership-checkpoints.ts) in a simulated cluster of
 * real engine peers with skewed clocks: members join and leave many times, agree on
 * checkpoints, drop the records of those that left, and every peer's ring stays the one
 * the uncompacted history gives; a crashed and restarted member and a peer joining after
 * the churn compute it too, and the data written before the churn is still there.
 */
import { describe, expect, it } from 'vitest'
import { buildRing, compareRecords } from '@ringstore/core'
import type { MemberRecord, PeerId, Ring } from '@ringstore/core'
import { SimCluster } from '../src/cluster.js'
import { Rng } from '../src/rng.js'
import { runSeed } from '../src/run.js'
import type { RunOptions } from '../src/run.js'
import { formatFailure } from '../src/summary.js'

const CHECKPOINTS = { ringCheckpoints: true, checkpointIntervalMs: 2_000, checkpointSettleMs: 10_000, checkpointMinDrop: 2 }
const STABLE = 4
const CHURN = 10

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const layout = (ring: Ring): unknown => ({ owners: ring.owners, ranks: ring.ranks })

describe('ring checkpoints in a simulated cluster', () => {
  it('churn compacts every table, every ring stays the full fold\'s, restarts and newcomers included', async () => {
    const cluster = new SimCluster({ peers: STABLE, rng: Rng.fromSeed(7), clockSkewMs: 200, config: CHECKPOINTS })
    const s = cluster.scheduler
    expect(await cluster.start()).toBe(true)
    // Every record ever seen, newest per member: the table an uncompacted peer would hold.
    const history = new Map<PeerId, MemberRecord>()
    const remember = (): void => {
      for (const i of cluster.running()) {
        for (const { reachable: _reachable, ...r } of cluster.peer(i).status().members) {
          const held = history.get(r.id)
          if (held === undefined || compareRecords(r, held) > 0) history.set(r.id, r)
        }
      }
    }
    await s.drive(cluster.peer(0).put('kept', bytes('before the churn'), { w: 3 }), 5_000)
    for (let i = 0; i < CHURN; i++) {
      const joined = await s.drive(cluster.join(), 10_000)
      await s.advance(1_500)
      remember()
      expect(await s.drive(cluster.leave(joined), 30_000)).toBe(true)
      await s.advance(1_500)
      remember()
    }
    const stable = [0, 1, 2, 3]
    cluster.crash(2)
    await s.advance(30_000)
    await s.drive(cluster.restart(2), 10_000)
    const late = await s.drive(cluster.join(), 10_000)
    await s.advance(20_000)
    remember()
    const expected = layout(buildRing([...history.values()], cluster.peer(0).ring().q))
    expect(history.size).toBe(STABLE + CHURN + 1)
    for (const i of [...stable, late]) {
      const peer = cluster.peer(i)
      // At most the running members plus fewer leavers than a checkpoint needs.
      expect(peer.status().members.length, `p${i}`).toBeLessThan(STABLE + 1 + CHECKPOINTS.checkpointMinDrop)
      expect(peer.status().self.checkpoint, `p${i}`).toEqual(cluster.peer(0).status().self.checkpoint)
      expect(layout(peer.ring()), `p${i}`).toEqual(expected)
    }
    const read = await s.drive(cluster.peer(late).get('kept', { r: 2 }), 5_000)
    expect(read.values.map(text)).toEqual(['before the churn'])
    expect(cluster.faults).toEqual([])
  })

  const churn: Partial<RunOptions> = { peers: 5, faults: 'heavy', churn: true, ringCheckpoints: true }

  it('30 heavy-fault seeds with joins, leaves and checkpoints agreed meanwhile hold every invariant', async () => {
    const failed: string[] = []
    for (let seed = 4001; seed < 4031; seed++) {
      const result = await runSeed(seed, { ...churn, ops: 60 })
      if (result.violations.length > 0) failed.push(formatFailure(result, churn, 5))
    }
    expect(failed.join('\n')).toBe('')
  })

  // Seed 29: the new owners refused a leaver's hand-off once a checkpoint dropped its record
  // (it was a client to them); seed 86: the same after one of them restarted (the dropped
  // members were not persisted). Both stayed stuck with its data.
  it.each([29, 86])('seed %i: a member that left hands off its data after a checkpoint dropped its record', async (seed) => {
    const options = { ...churn, ops: 200 }
    const result = await runSeed(seed, options)
    expect(result.violations.length === 0 ? '' : formatFailure(result, options, 5)).toBe('')
  })
})
