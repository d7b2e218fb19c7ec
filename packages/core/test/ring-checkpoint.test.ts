/**
 * Ring checkpoints (ring-checkpoint.ts): folding from a checkpoint gives the full fold's ring,
 * records the checkpoint makes compactable can be dropped without changing it, and a
 * cluster that checkpoints as it churns keeps a bounded table while its ring stays the
 * uncompacted one. Seeded histories: joins of new members, leaves, rejoins (stints),
 * weights 1-3, three zones.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  RingBuilder, buildRing, compactable, leaveRecord, newMemberRecord, ownedPartitions, restartRecord, ringCheckpoint
} from '../src/index.js'
import type { MemberRecord, Ring, RingCheckpoint } from '../src/index.js'

const Q = 256

/** Owners and rank layers: all of the ring the fold computes. */
function shape (ring: Ring): unknown {
  return { owners: ring.owners, ranks: ring.ranks, members: [...ring.members] }
}

/**
 * A history driven by `choices` (each in [0, 1)): the table after each step. With `size`,
 * the cluster hovers around that many active members (steady churn).
 */
function history (choices: readonly number[], size?: number): MemberRecord[][] {
  const table = new Map<string, MemberRecord>()
  const tables: MemberRecord[][] = []
  let time = 1
  let next = 0
  for (const c of choices) {
    const active = [...table.values()].filter((r) => r.status === 'active')
    const gone = [...table.values()].filter((r) => r.status === 'left')
    const grow = size === undefined ? c < 0.45 : active.length < size
    if (active.length < 4 || (grow && (c < 0.7 || gone.length === 0))) {
      const id = `m${String(next++).padStart(3, '0')}`
      table.set(id, newMemberRecord({ id, addrs: [], weight: 1 + (next % 3), zone: `z${next % 3}`, joinedAt: time }))
    } else if (size === undefined ? c < 0.85 || gone.length === 0 : !grow) {
      const r = active[Math.floor(((c * 7919) % 1) * active.length)] as MemberRecord
      table.set(r.id, leaveRecord(r, time))
    } else {
      const r = gone[Math.floor(((c * 104729) % 1) * gone.length)] as MemberRecord
      table.set(r.id, restartRecord(r, { rejoinedAt: time }))
    }
    time += 1 + Math.floor(c * 3)
    tables.push([...table.values()])
  }
  return tables
}

function latestTime (records: readonly MemberRecord[]): number {
  return Math.max(0, ...records.map((r) => Math.max(r.joinedAt, r.leftAt ?? 0)))
}

describe('ring checkpoints', () => {
  it('the fold from a checkpoint at any cut is the full fold, before and after dropping what it made compactable', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 5, maxLength: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (choices, at) => {
      const records = history(choices).at(-1) as MemberRecord[]
      const cut = Math.floor(latestTime(records) * at)
      const full = buildRing(records, Q)
      const checkpoint = ringCheckpoint(records, Q, cut)
      expect(shape(buildRing(records, Q, checkpoint))).toEqual(shape(full))
      const kept = records.filter((r) => !compactable(r, checkpoint))
      expect(shape(buildRing(kept, Q, checkpoint))).toEqual(shape(full))
      expect(shape(new RingBuilder(Q).update(kept, checkpoint))).toEqual(shape(full))
    }), { numRuns: 60, seed: 13_4 })
  })

  it('a churning cluster that checkpoints every 20 events keeps a bounded table and the uncompacted ring', () => {
    // 400 steps of joins, leaves and rejoins around 16 active members; the full table keeps
    // every member ever seen.
    const rng = seeded(4)
    const choices = Array.from({ length: 400 }, () => rng())
    const tables = history(choices, 16)
    let checkpoint: RingCheckpoint | undefined
    let kept: MemberRecord[] = []
    const builder = new RingBuilder(Q)
    const uncompacted = new RingBuilder(Q)
    let maxKept = 0
    tables.forEach((records, step) => {
      // What a compacting peer holds: its kept records, updated by the new table's records.
      const byId = new Map(kept.map((r) => [r.id, r]))
      for (const r of records) if (checkpoint === undefined || !compactable(r, checkpoint) || byId.has(r.id)) byId.set(r.id, r)
      kept = [...byId.values()]
      if (step % 20 === 19) {
        checkpoint = ringCheckpoint(kept, Q, latestTime(kept), checkpoint)
        const cp = checkpoint
        kept = kept.filter((r) => !compactable(r, cp))
      }
      maxKept = Math.max(maxKept, kept.length)
      expect(shape(builder.update(kept, checkpoint)), `step ${step}`).toEqual(shape(uncompacted.update(records)))
    })
    const everyone = (tables.at(-1) as MemberRecord[]).length
    const active = (tables.at(-1) as MemberRecord[]).filter((r) => r.status === 'active').length
    // Kept: the active members plus what left within one period, never the whole history.
    expect(everyone).toBeGreaterThan(3 * maxKept)
    expect(kept.length).toBeLessThanOrEqual(active + 20)
  })

  it('a record the checkpoint did not see (a join before the cut heard late, a changed weight) is folded right after the cut', () => {
    const records = history(Array.from({ length: 30 }, (_, i) => (i * 0.37) % 0.44)).at(-1) as MemberRecord[]
    const cut = latestTime(records)
    const checkpoint = ringCheckpoint(records, Q, cut)
    const late = newMemberRecord({ id: 'late', addrs: [], weight: 2, zone: 'z1', joinedAt: 1 })
    const ring = buildRing([...records, late], Q, checkpoint)
    // It joins (just after the cut): it owns its share, and moves only that.
    const before = buildRing(records, Q, checkpoint)
    const share = ownedPartitions(ring, 'late').length
    expect(share).toBeGreaterThan(0)
    expect(ring.owners.filter((o, p) => o !== before.owners[p]).length).toBe(share)
    // Same ring whatever order the records come in.
    expect(shape(buildRing([late, ...records].reverse(), Q, checkpoint))).toEqual(shape(ring))
    // A member active at the cut restarted with another weight: it leaves and joins again.
    const changed = records.map((r) => r.id === checkpoint.members[0]?.id ? { ...r, weight: r.weight + 5 } : r)
    const heavier = buildRing(changed, Q, checkpoint)
    expect(heavier.members.get(checkpoint.members[0]?.id ?? '')?.weight).toBe((checkpoint.members[0]?.weight ?? 0) + 5)
  })
})

/** mulberry32: a small seeded PRNG (the core has no randomness; the test brings its own). */
function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
