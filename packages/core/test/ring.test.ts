import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import {
  RingBuilder, buildRing, countMoved, hasNoOwners, ownedPartitions, preferenceList, replicaNeighbours, replicaPartitions, ringSummary,
  sloppyPreferenceList, walkOrder
} from '../src/ring.js'
import type { Ring } from '../src/ring.js'
import { RingInputError } from '../src/hash.js'
import { pairsInGreedyOrder } from '../src/ring-assign.js'
import type { MemberRecord, MemberStatus, PeerId, Placement } from '../src/types.js'

const QS = [64, 256, 1024] as const
const ZONES = ['a', 'b', 'c', 'd', 'e'] as const
/** Later than every joinedAt/leftAt the arbitraries produce: "now". */
const NEWEST = 1_000

interface MemberSpec {
  readonly n: number
  readonly weight: number
  readonly zone: string
  readonly joinedAt: number
  readonly status: MemberStatus
  readonly leftAt: number
}

function record (spec: MemberSpec): MemberRecord {
  return {
    id: `peer-${spec.n}`,
    addrs: [`/ip4/10.0.${spec.n % 250}.1/tcp/4001`],
    weight: spec.weight,
    zone: spec.zone,
    status: spec.status,
    incarnation: 1,
    heartbeat: 0,
    joinedAt: spec.joinedAt,
    ...(spec.status === 'left' ? { leftAt: spec.leftAt } : {})
  }
}

const weightArb = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }) })

function specArb (options: { weight?: fc.Arbitrary<number>, churn?: boolean } = {}): fc.Arbitrary<MemberSpec> {
  const status: fc.Arbitrary<MemberStatus> = options.churn === false
    ? fc.constant('active')
    : fc.oneof({ weight: 6, arbitrary: fc.constant('active' as const) }, { weight: 1, arbitrary: fc.constantFrom('leaving' as const, 'left' as const) })
  return fc.record({
    n: fc.integer({ min: 0, max: 9_999 }),
    weight: options.weight ?? weightArb,
    zone: fc.constantFrom(...ZONES),
    joinedAt: fc.integer({ min: 0, max: 50 }),
    status,
    leftAt: fc.integer({ min: 0, max: 60 })
  })
}

/** A cluster: Q, and up to Q/16 member records (unique ids). */
function clusterArb (options: { weight?: fc.Arbitrary<number>, churn?: boolean, maxMembers?: (q: number) => number } = {}): fc.Arbitrary<{ q: number, records: MemberRecord[] }> {
  return fc.constantFrom(...QS).chain((q) => fc.record({
    q: fc.constant(q),
    records: fc.uniqueArray(specArb(options), { selector: (s) => s.n, minLength: 1, maxLength: options.maxMembers?.(q) ?? q / 16 })
      .map((specs) => specs.map(record))
  }))
}

const activeOf = (records: readonly MemberRecord[]): MemberRecord[] => records.filter((r) => r.status === 'active')
const countsOf = (ring: Ring): Map<PeerId, number> => {
  const counts = new Map<PeerId, number>()
  for (const owner of ring.owners) if (owner !== null) counts.set(owner, (counts.get(owner) ?? 0) + 1)
  return counts
}
const distinctOwners = (ring: Ring): PeerId[] => [...new Set(ring.owners.filter((o): o is PeerId => o !== null))]
const zoneOf = (ring: Ring, peer: PeerId): string => ring.members.get(peer)?.zone ?? ''
const plain = (ring: Ring): Ring => ({ q: ring.q, owners: [...ring.owners], members: new Map(ring.members), ...(ring.ranks === undefined ? {} : { ranks: ring.ranks.map((layer) => [...layer]) }) })

/**
 * The preference list exactly as specified: the owner and the ring's balanced ranks
 * (ring-ranks.ts), then distinct owners in walk order, new zones first, then the rest.
 */
function referencePreference (ring: Ring, partition: number, n: number): PeerId[] {
  const balanced = [ring.owners[partition] ?? null, ...(ring.ranks ?? []).map((layer) => layer[partition] ?? null)]
    .filter((peer): peer is PeerId => peer !== null).slice(0, n)
  const walk = walkOrder(ring, partition).filter((peer) => !balanced.includes(peer))
  const first: PeerId[] = [...balanced]
  const zones = new Set<string>(balanced.map((peer) => zoneOf(ring, peer)))
  for (const peer of walk) {
    if (first.length < n && !zones.has(zoneOf(ring, peer))) {
      first.push(peer)
      zones.add(zoneOf(ring, peer))
    }
  }
  return [...first, ...walk.filter((peer) => !first.includes(peer))].slice(0, Math.max(balanced.length, n))
}

function referenceSloppy (ring: Ring, partition: number, n: number, reachable: (peer: PeerId) => boolean): Placement[] {
  const primaries = referencePreference(ring, partition, n)
  const walk = walkOrder(ring, partition)
  const used = new Set<PeerId>()
  const out: Placement[] = []
  for (const primary of primaries) {
    if (reachable(primary)) {
      out.push({ peer: primary, role: 'primary' })
      continue
    }
    const fallback = walk.find((peer) => !primaries.includes(peer) && !used.has(peer) && reachable(peer))
    if (fallback === undefined) continue
    used.add(fallback)
    out.push({ peer: fallback, role: 'fallback', hintFor: primary })
  }
  return out
}

describe('buildRing: assignment', () => {
  it('depends only on the records, not on their order', () => {
    fc.assert(fc.property(
      clusterArb().chain(({ q, records }) => fc.tuple(fc.constant(q), fc.constant(records), fc.shuffledSubarray(records, { minLength: records.length }))),
      ([q, records, shuffled]) => {
        const a = buildRing(records, q)
        const b = buildRing(shuffled, q)
        expect(b.owners).toEqual(a.owners)
        expect([...b.members]).toEqual([...a.members])
      }), { numRuns: 60 })
  })

  it('gives each active member floor or ceil of its weighted share q·w/W; weight 0 owns nothing', () => {
    fc.assert(fc.property(clusterArb(), ({ q, records }) => {
      const ring = buildRing(records, q)
      const active = activeOf(records)
      expect([...ring.members.keys()]).toEqual(active.map((r) => r.id).sort())
      const total = active.reduce((sum, r) => sum + r.weight, 0)
      const counts = countsOf(ring)
      if (total === 0) {
        expect(ring.owners.every((o) => o === null)).toBe(true)
        return
      }
      expect(ring.owners.every((o) => o !== null && ring.members.has(o))).toBe(true)
      for (const r of active) {
        const exact = (q * r.weight) / total
        const count = counts.get(r.id) ?? 0
        expect(count === Math.floor(exact) || count === Math.ceil(exact)).toBe(true)
      }
    }), { numRuns: 150 })
  })

  it('keeps max/mean ≤ 1.05 with equal weights whenever Q/S ≥ 20', () => {
    fc.assert(fc.property(clusterArb({ weight: fc.constant(1), churn: false, maxMembers: (q) => Math.floor(q / 20) }), ({ q, records }) => {
      const counts = [...countsOf(buildRing(records, q)).values()]
      expect(counts).toHaveLength(records.length)
      expect(Math.max(...counts) / (q / records.length)).toBeLessThanOrEqual(1.05)
    }), { numRuns: 100 })
  })

  it('cannot meet 1.05 for every S ≤ Q/16 (Q=1024, S=60), but stays within 1 of the share', () => {
    const records = Array.from({ length: 60 }, (_, i) => record({ n: i, weight: 1, zone: 'a', joinedAt: i, status: 'active', leftAt: 0 }))
    const counts = [...countsOf(buildRing(records, 1024)).values()]
    expect(Math.max(...counts)).toBe(18) // ceil(1024 / 60): 18 / 17.07 = 1.055 × the mean
    expect(Math.min(...counts)).toBe(17)
  })

  it('gives weight-0 members nothing but lists them; an all-light cluster owns nothing', () => {
    const light = (n: number): MemberRecord => record({ n, weight: 0, zone: 'a', joinedAt: n, status: 'active', leftAt: 0 })
    const heavy = record({ n: 9, weight: 2, zone: 'b', joinedAt: 5, status: 'active', leftAt: 0 })
    const mixed = buildRing([light(1), heavy, light(2)], 64)
    expect(mixed.owners.every((o) => o === heavy.id)).toBe(true)
    expect([...mixed.members.keys()]).toEqual(['peer-1', 'peer-2', 'peer-9'])
    expect(mixed.members.get('peer-1')).toEqual({ weight: 0, zone: 'a' })
    expect(ownedPartitions(mixed, 'peer-1')).toEqual([])

    expect(hasNoOwners(mixed)).toBe(false)
    const allLight = buildRing([light(1), light(2)], 64)
    expect(allLight.owners).toEqual(new Array(64).fill(null))
    expect(hasNoOwners(allLight)).toBe(true)
    expect(hasNoOwners(buildRing([], 64))).toBe(true)
    expect(allLight.members.size).toBe(2)
    expect(preferenceList(allLight, 0, 3)).toEqual([])
    expect(walkOrder(allLight, 0)).toEqual([])
    expect(sloppyPreferenceList(allLight, 0, 3, () => true)).toEqual([])
    expect(replicaPartitions(allLight, 'peer-1', 3)).toEqual([])
    expect(buildRing([], 64).owners.every((o) => o === null)).toBe(true)
  })

  // Its time (the fold of 200 joins over 4096 partitions, owners and balanced ranks) is a
  // figure of `npx tsx bench/ring-load.ts`, not an assertion here: no wall-clock limits in tests.
  it('builds 200 weighted, zoned members over 4096 partitions: every list full, zone-spread', () => {
    const records = Array.from({ length: 200 }, (_, i) => record({ n: i, weight: 1 + (i % 3), zone: ZONES[i % 5] ?? 'a', joinedAt: i, status: 'active', leftAt: 0 }))
    const ring = buildRing(records, 4096)
    for (let p = 0; p < ring.q; p += 7) {
      const list = preferenceList(ring, p, 3)
      expect(new Set(list.map((peer) => zoneOf(ring, peer))).size).toBe(3)
    }
  })
})

describe('buildRing: internals', () => {
  it('orders pool × needy pairs the same on the packed and the comparator path', () => {
    const memberArb = fc.record({ index: fc.nat(), id: fc.string(), seed: fc.integer({ min: 0, max: 0xFFFFFFFF }), weight: fc.constant(1), zone: fc.constant('a') })
    fc.assert(fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 1023 }), { minLength: 1, maxLength: 200 }),
      fc.array(memberArb, { minLength: 1, maxLength: 8 }),
      (partitions, needy) => {
        const pool = Int32Array.from(partitions).sort()
        const packed = Array.from(pairsInGreedyOrder(pool, needy))
        expect(Array.from(pairsInGreedyOrder(pool, needy, 0))).toEqual(packed)
        expect([...packed].sort((a, b) => a - b)).toEqual(Array.from({ length: pool.length * needy.length }, (_, i) => i))
      }), { numRuns: 100 })
  })

  it('handles fractional weights: floor or ceil of the share, all partitions owned', () => {
    fc.assert(fc.property(clusterArb({ weight: fc.constantFrom(0, 0.25, 0.5, 1.5, 2.75) }), ({ q, records }) => {
      const ring = buildRing(records, q)
      const active = activeOf(records)
      const total = active.reduce((sum, r) => sum + r.weight, 0)
      const counts = countsOf(ring)
      expect(ring.owners.every((o) => (o === null) === (total === 0))).toBe(true)
      if (total === 0) return
      for (const r of active) {
        const exact = (q * r.weight) / total
        const count = counts.get(r.id) ?? 0
        expect(count === Math.floor(exact) || count === Math.ceil(exact)).toBe(true)
      }
    }), { numRuns: 60 })
  })
})

describe('buildRing: movement', () => {
  it('a join with the newest joinedAt moves only the newcomer\'s share, all of it to the newcomer', () => {
    fc.assert(fc.property(clusterArb(), fc.integer({ min: 1, max: 6 }), fc.constantFrom(...ZONES), ({ q, records }, weight, zone) => {
      const before = buildRing(records, q)
      const newcomer = record({ n: 10_000, weight, zone, joinedAt: NEWEST, status: 'active', leftAt: 0 })
      const after = buildRing([...records, newcomer], q)
      const share = countsOf(after).get(newcomer.id) ?? 0
      const moved = countMoved(before, after)
      if (before.owners[0] === null) {
        expect(moved).toBe(q) // nobody owned anything: the newcomer takes all
        return
      }
      expect(moved).toBeLessThanOrEqual(1.1 * share)
      after.owners.forEach((owner, p) => { if (owner !== before.owners[p]) expect(owner).toBe(newcomer.id) })
    }), { numRuns: 150 })
  })

  it('a leave with the newest leftAt moves only the leaver\'s partitions', () => {
    fc.assert(fc.property(clusterArb(), fc.nat(), ({ q, records }, pick) => {
      const candidates = activeOf(records).filter((r) => r.weight > 0)
      const leaver = candidates[pick % Math.max(1, candidates.length)]
      if (leaver === undefined || candidates.length < 2) return
      const before = buildRing(records, q)
      const after = buildRing(records.map((r) => r === leaver ? { ...r, status: 'left' as const, leftAt: NEWEST } : r), q)
      const held = ownedPartitions(before, leaver.id).length
      expect(countMoved(before, after)).toBeLessThanOrEqual(1.1 * held)
      after.owners.forEach((owner, p) => { if (owner !== before.owners[p]) expect(before.owners[p]).toBe(leaver.id) })
      expect(after.members.has(leaver.id)).toBe(false)
    }), { numRuns: 150 })
  })

  it('a growing and shrinking cluster: every step moves only what the joiner takes or the leaver gives', () => {
    const stepArb = fc.record({ join: fc.boolean(), weight: fc.integer({ min: 1, max: 6 }), pick: fc.nat() })
    fc.assert(fc.property(fc.constantFrom(...QS), fc.array(stepArb, { minLength: 1, maxLength: 60 }), (q, steps) => {
      const builder = new RingBuilder(q)
      let records: MemberRecord[] = []
      let ring = builder.update(records)
      steps.forEach((step, t) => {
        const active = activeOf(records)
        const join = active.length < 2 || (step.join && active.length < q / 16)
        const leaver = active[step.pick % active.length]
        const id = join ? `peer-${t}` : (leaver?.id ?? '')
        records = join
          ? [...records, record({ n: t, weight: step.weight, zone: 'a', joinedAt: t, status: 'active', leftAt: 0 })]
          : records.map((r) => r.id === id ? { ...r, status: 'left' as const, leftAt: t } : r)
        const next = builder.update(records)
        const moved = ring.owners.flatMap((owner, p) => owner === next.owners[p] ? [] : [p])
        if (ring.owners[0] !== null) {
          for (const p of moved) expect(join ? next.owners[p] : ring.owners[p]).toBe(id)
          expect(moved).toHaveLength(join ? ownedPartitions(next, id).length : ownedPartitions(ring, id).length)
        }
        ring = next
      })
    }), { numRuns: 60 })
  })

  it('weighted regression: seats kept by remainder, not by count, so the join below moves only the newcomer\'s share', () => {
    // With "largest count first" for the kept seats (the first draft), this join also moved
    // partitions between old members: ring-assign.ts stickyQuotas explains why.
    const weights = [1, 4, 2, 4, 1, 4, 4, 1, 3, 2]
    const records = weights.map((weight, i) => record({ n: i, weight, zone: 'a', joinedAt: i, status: 'active', leftAt: 0 }))
    const newcomer = record({ n: 999, weight: 1, zone: 'a', joinedAt: NEWEST, status: 'active', leftAt: 0 })
    const before = buildRing(records, 256)
    const after = buildRing([...records, newcomer], 256)
    expect(countMoved(before, after)).toBe(ownedPartitions(after, newcomer.id).length)
    after.owners.forEach((owner, p) => { if (owner !== before.owners[p]) expect(owner).toBe(newcomer.id) })
  })

  it('countMoved counts changed owners and refuses rings of different Q', () => {
    const one = buildRing([record({ n: 1, weight: 1, zone: 'a', joinedAt: 1, status: 'active', leftAt: 0 })], 64)
    const two = buildRing([
      record({ n: 1, weight: 1, zone: 'a', joinedAt: 1, status: 'active', leftAt: 0 }),
      record({ n: 2, weight: 1, zone: 'a', joinedAt: 2, status: 'active', leftAt: 0 })
    ], 64)
    expect(countMoved(one, one)).toBe(0)
    expect(countMoved(one, two)).toBe(32)
    expect(() => countMoved(one, buildRing([], 128))).toThrow(RingInputError)
  })
})

describe('preference lists', () => {
  const withPartition = clusterArb().chain(({ q, records }) => fc.record({
    q: fc.constant(q), records: fc.constant(records), p: fc.integer({ min: 0, max: q - 1 }), n: fc.integer({ min: 1, max: 6 })
  }))

  it('are N distinct peers, owners[p] first, zones spread first, exactly as specified', () => {
    fc.assert(fc.property(withPartition, ({ q, records, p, n }) => {
      const ring = buildRing(records, q)
      const list = preferenceList(ring, p, n)
      const owners = distinctOwners(ring)
      const ownerZones = new Set(owners.map((o) => zoneOf(ring, o)))
      expect(new Set(list).size).toBe(list.length)
      expect(list).toHaveLength(Math.min(n, owners.length))
      if (list.length > 0) expect(list[0]).toBe(ring.owners[p])
      expect(new Set(list.map((peer) => zoneOf(ring, peer))).size).toBe(Math.min(n, ownerZones.size))
      expect(list).toEqual(referencePreference(ring, p, n))
      // Memoized: the same frozen array on the hot path, and the same answer for a plain Ring object.
      expect(preferenceList(ring, p, n)).toBe(list)
      expect(Object.isFrozen(list)).toBe(true)
      expect(preferenceList(plain(ring), p, n)).toEqual(list)
    }), { numRuns: 200 })
  })

  it('walkOrder lists every owner once, clockwise from the partition', () => {
    fc.assert(fc.property(withPartition, ({ q, records, p }) => {
      const ring = buildRing(records, q)
      const walk = walkOrder(ring, p)
      expect(new Set(walk)).toEqual(new Set(distinctOwners(ring)))
      expect(walk).toHaveLength(new Set(walk).size)
      if (walk.length > 0) expect(walk[0]).toBe(ring.owners[p])
      const firstSeen = (peer: PeerId): number => {
        for (let step = 0; step < q; step++) if (ring.owners[(p + step) % q] === peer) return step
        return q
      }
      expect(walk.map(firstSeen)).toEqual(walk.map(firstSeen).sort((a, b) => a - b))
    }), { numRuns: 100 })
  })

  it('replicaPartitions are the partitions whose list holds the peer', () => {
    fc.assert(fc.property(clusterArb(), fc.integer({ min: 1, max: 4 }), ({ q, records }, n) => {
      const ring = buildRing(records, q)
      let total = 0
      for (const peer of ring.members.keys()) {
        const mine = replicaPartitions(ring, peer, n)
        total += mine.length
        for (const p of mine) expect(preferenceList(ring, p, n)).toContain(peer)
        expect(ownedPartitions(ring, peer).every((p) => mine.includes(p))).toBe(true)
      }
      expect(total).toBe(q * Math.min(n, distinctOwners(ring).length))
    }), { numRuns: 40 })
  })

  it('replicaNeighbours are exactly the other peers of the lists that hold the peer, symmetric', () => {
    fc.assert(fc.property(clusterArb(), fc.integer({ min: 1, max: 4 }), ({ q, records }, n) => {
      const ring = buildRing(records, q)
      for (const peer of ring.members.keys()) {
        const expected = new Set<PeerId>()
        for (let p = 0; p < q; p++) {
          const list = preferenceList(ring, p, n)
          if (list.includes(peer)) for (const other of list) if (other !== peer) expected.add(other)
        }
        expect(new Set(replicaNeighbours(ring, peer, n))).toEqual(expected)
        for (const other of expected) expect(replicaNeighbours(ring, other, n).has(peer)).toBe(true)
      }
    }), { numRuns: 40 })
  })

  it('sloppy lists replace each unreachable primary by a distinct reachable fallback', () => {
    fc.assert(fc.property(withPartition, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), ({ q, records, p, n }, down) => {
      const ring = buildRing(records, q)
      const ids = [...ring.members.keys()]
      const reachable = (peer: PeerId): boolean => !(down[ids.indexOf(peer) % 64] ?? false)
      const primaries = preferenceList(ring, p, n)
      const placements = sloppyPreferenceList(ring, p, n, reachable)
      const peers = placements.map((pl) => pl.peer)
      expect(new Set(peers).size).toBe(peers.length)
      expect(peers.every(reachable)).toBe(true)
      for (const pl of placements) {
        if (pl.role === 'primary') {
          expect(primaries).toContain(pl.peer)
          expect(pl.hintFor).toBeUndefined()
        } else {
          expect(primaries).not.toContain(pl.peer)
          expect(primaries).toContain(pl.hintFor)
          expect(reachable(pl.hintFor ?? '')).toBe(false)
        }
      }
      const unreachable = primaries.filter((peer) => !reachable(peer)).length
      const spare = distinctOwners(ring).filter((peer) => !primaries.includes(peer) && reachable(peer)).length
      expect(placements).toHaveLength(primaries.length - Math.max(0, unreachable - spare))
      expect(placements).toEqual(referenceSloppy(ring, p, n, reachable))
    }), { numRuns: 200 })
  })

  it('ask isReachable at most once per peer and keep primaries in preference order', () => {
    const records = ['a', 'b', 'c', 'd', 'e', 'f'].map((zone, i) => record({ n: i, weight: 1, zone, joinedAt: i, status: 'active', leftAt: 0 }))
    const ring = buildRing(records, 64)
    const asked: PeerId[] = []
    const primaries = preferenceList(ring, 7, 3)
    const placements = sloppyPreferenceList(ring, 7, 3, (peer) => {
      asked.push(peer)
      return peer !== primaries[1]
    })
    expect(new Set(asked).size).toBe(asked.length)
    expect(placements.map((pl) => pl.role)).toEqual(['primary', 'fallback', 'primary'])
    expect(placements[0]?.peer).toBe(primaries[0])
    expect(placements[1]?.hintFor).toBe(primaries[1])
    expect(placements[2]?.peer).toBe(primaries[2])
  })

  it('refuse partitions outside [0, q) and negative counts', () => {
    const ring = buildRing([record({ n: 1, weight: 1, zone: 'a', joinedAt: 1, status: 'active', leftAt: 0 })], 64)
    expect(() => preferenceList(ring, 64, 3)).toThrow(RingInputError)
    expect(() => preferenceList(ring, -1, 3)).toThrow(RingInputError)
    expect(() => preferenceList(ring, 0, -1)).toThrow(RingInputError)
    expect(() => walkOrder(ring, 1.5)).toThrow(RingInputError)
    expect(preferenceList(ring, 0, 0)).toEqual([])
  })
})

describe('ringSummary and ownedPartitions', () => {
  it('count each member\'s partitions, sorted by id', () => {
    fc.assert(fc.property(clusterArb(), ({ q, records }) => {
      const ring = buildRing(records, q)
      const summary = ringSummary(ring)
      expect(summary.q).toBe(q)
      expect(summary.members.map((m) => m.id)).toEqual([...ring.members.keys()].sort())
      for (const m of summary.members) {
        expect(m.partitions).toBe(ownedPartitions(ring, m.id).length)
        expect({ weight: m.weight, zone: m.zone }).toEqual(ring.members.get(m.id))
      }
      expect(summary.members.reduce((sum, m) => sum + m.partitions, 0)).toBe(ring.owners.filter((o) => o !== null).length)
    }), { numRuns: 50 })
  })
})

type Op =
  | { kind: 'join', spec: MemberSpec }
  | { kind: 'heartbeat', i: number }
  | { kind: 'reorder', i: number }
  | { kind: 'leave', i: number, at: number }
  | { kind: 'leaving', i: number }
  | { kind: 'weight', i: number, weight: number }
  | { kind: 'zone', i: number, zone: string }
  | { kind: 'drop', i: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: specArb({ churn: false }).map((spec) => ({ kind: 'join' as const, spec: { ...spec, joinedAt: spec.joinedAt * 3 } })) },
  { weight: 2, arbitrary: fc.nat().map((i) => ({ kind: 'heartbeat' as const, i })) },
  { weight: 1, arbitrary: fc.nat().map((i) => ({ kind: 'reorder' as const, i })) },
  { weight: 2, arbitrary: fc.record({ i: fc.nat(), at: fc.integer({ min: 0, max: 200 }) }).map((o) => ({ kind: 'leave' as const, ...o })) },
  { weight: 1, arbitrary: fc.nat().map((i) => ({ kind: 'leaving' as const, i })) },
  { weight: 1, arbitrary: fc.record({ i: fc.nat(), weight: weightArb }).map((o) => ({ kind: 'weight' as const, ...o })) },
  { weight: 1, arbitrary: fc.record({ i: fc.nat(), zone: fc.constantFrom(...ZONES) }).map((o) => ({ kind: 'zone' as const, ...o })) },
  { weight: 1, arbitrary: fc.nat().map((i) => ({ kind: 'drop' as const, i })) }
)

/** Applies an op; returns whether the ring events stay the same (so the ring object must too). */
function applyOp (records: MemberRecord[], op: Op): { records: MemberRecord[], unchanged: boolean } {
  if (op.kind === 'join') {
    const r = record(op.spec)
    return records.some((x) => x.id === r.id) ? { records, unchanged: true } : { records: [...records, r], unchanged: false }
  }
  if (records.length === 0) return { records, unchanged: true }
  const i = op.i % records.length
  const target = records[i] as MemberRecord
  const replace = (next: MemberRecord, unchanged: boolean): { records: MemberRecord[], unchanged: boolean } =>
    ({ records: records.map((r, j) => j === i ? next : r), unchanged })
  switch (op.kind) {
    case 'heartbeat': return replace({ ...target, heartbeat: target.heartbeat + 1, addrs: [...target.addrs, `/dns4/x${target.heartbeat}/tcp/1`] }, true)
    case 'reorder': return { records: [...records.slice(i), ...records.slice(0, i)].reverse(), unchanged: true }
    case 'leave': return replace({ ...target, status: 'left', leftAt: op.at }, target.status === 'left' && target.leftAt === op.at)
    case 'leaving': return replace({ ...target, status: 'leaving' }, target.status === 'leaving')
    case 'weight': return replace({ ...target, weight: op.weight }, target.weight === op.weight)
    case 'zone': return replace({ ...target, zone: op.zone }, target.zone === op.zone)
    case 'drop': return { records: records.filter((_, j) => j !== i), unchanged: false }
  }
}

describe('RingBuilder', () => {
  it('equals buildRing after any sequence of updates, and keeps the same object when events are unchanged', () => {
    fc.assert(fc.property(fc.constantFrom(...QS), fc.array(opArb, { minLength: 1, maxLength: 40 }), (q, ops) => {
      const builder = new RingBuilder(q)
      let records: MemberRecord[] = []
      let ring = builder.update(records)
      for (const op of ops) {
        const next = applyOp(records, op)
        records = next.records.slice(0, q / 16)
        const updated = builder.update(records)
        const expected = buildRing(records, q)
        expect(updated.owners).toEqual(expected.owners)
        expect(updated.ranks).toEqual(expected.ranks)
        expect([...updated.members]).toEqual([...expected.members])
        if (next.unchanged && next.records.length === records.length) expect(updated).toBe(ring)
        ring = updated
      }
    }), { numRuns: 120 })
  })

  it('folds a late-arriving older join into the same ring as a full build', () => {
    const specs = Array.from({ length: 40 }, (_, i) => ({ n: i, weight: 1 + (i % 4), zone: ZONES[i % 5] ?? 'a', joinedAt: i * 10, status: 'active' as const, leftAt: 0 }))
    const records = specs.map(record)
    const builder = new RingBuilder(256)
    const first = builder.update(records.filter((r) => r.id !== 'peer-3' && r.id !== 'peer-35'))
    // peer-35 arrives late: refold from the snapshot after 32 events.
    const lateRecent = builder.update(records.filter((r) => r.id !== 'peer-3'))
    expect(lateRecent).not.toBe(first)
    expect(lateRecent.owners).toEqual(buildRing(records.filter((r) => r.id !== 'peer-3'), 256).owners)
    expect(lateRecent.ranks).toEqual(buildRing(records.filter((r) => r.id !== 'peer-3'), 256).ranks)
    // peer-3 arrives late: refold from the start.
    const lateOld = builder.update(records)
    expect(lateOld.owners).toEqual(buildRing(records, 256).owners)
    expect(lateOld.ranks).toEqual(buildRing(records, 256).ranks)
    expect(builder.update([...records].reverse())).toBe(lateOld)
    // And back: forgetting a record refolds too.
    expect(builder.update(records.slice(1)).owners).toEqual(buildRing(records.slice(1), 256).owners)
    expect(builder.update(records.slice(1)).ranks).toEqual(buildRing(records.slice(1), 256).ranks)
  })

  it('refuses bad Q and bad records with RingInputError', () => {
    const ok = record({ n: 1, weight: 1, zone: 'a', joinedAt: 1, status: 'active', leftAt: 0 })
    for (const q of [0, 3, 100, 2 ** 21]) {
      expect(() => new RingBuilder(q)).toThrow(RingInputError)
      expect(() => buildRing([ok], q)).toThrow(RingInputError)
    }
    expect(() => buildRing([ok, { ...ok, weight: 2 }], 64)).toThrow(RingInputError)
    for (const bad of [{ ...ok, weight: -1 }, { ...ok, weight: Number.NaN }, { ...ok, weight: Infinity }, { ...ok, joinedAt: Number.NaN }, { ...ok, status: 'left' as const, leftAt: Infinity }]) {
      expect(() => buildRing([bad], 64)).toThrow(RingInputError)
      expect(() => new RingBuilder(64).update([bad])).toThrow(RingInputError)
    }
  })

  it('treats a leave without leftAt as a leave at joinedAt, and never before the join', () => {
    const a = record({ n: 1, weight: 1, zone: 'a', joinedAt: 1, status: 'active', leftAt: 0 })
    const b = record({ n: 2, weight: 1, zone: 'b', joinedAt: 2, status: 'active', leftAt: 0 })
    const leaving = { ...b, status: 'leaving' as const }
    expect(buildRing([a, leaving], 64).owners).toEqual(buildRing([a], 64).owners)
    const leftEarly = { ...b, status: 'left' as const, leftAt: -5 }
    expect(buildRing([a, leftEarly], 64).members.has(b.id)).toBe(false)
    expect(buildRing([a, leftEarly], 64).owners).toEqual(buildRing([a], 64).owners)
  })
})
