/**
 * Fair replica load with bounded movement (issue 13 item 3), Q=1024, N=3. A member's
 * replica load is the number of partitions whose preference list holds it; its fair share
 * is N·Q·w/W, water-filled so that none exceeds Q (a member is in a list at most once).
 * Over equal, zoned (zones of equal weight) and weighted clusters reached through random
 * joins and leaves in random orders:
 *   - load / share has max/mean ≤ 1.10 (the plain walk reached 1.14 at S=100, 1.24 at
 *     S=200, 1.41 with 3 zones × 10: bench/ring-load.ts);
 *   - ownership stays floor/ceil of Q·w/W and a join moves exactly the newcomer's share
 *     of owners (the paper's strategy 3, ring.test.ts);
 *   - a join that keeps the set of zones changes at most JOIN_SLACK × the newcomer's load
 *     (its entries are all new: the least any join can change; about its fair share) +
 *     JOIN_EXTRA list entries; a leave at most LEAVE_SLACK × the leaver's load + JOIN_EXTRA.
 *     Measured over 800 histories (43,000 joins, 2,200 leaves): at most 1.76 × and 1.70 ×.
 *     (The reverted load-aware walk changed 3-10× what the plain walk did.)
 * RING_LOAD_RUNS=400 runs the property over more cases than CI does (see docs/design.md).
 */
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { RingBuilder, buildRing, preferenceList } from '../src/ring.js'
import type { Ring } from '../src/ring.js'
import type { MemberRecord, PeerId } from '../src/types.js'

const Q = 1024
const N = 3
const BOUND = 1.1
const JOIN_SLACK = 2
const LEAVE_SLACK = 2
const JOIN_EXTRA = 8
const RUNS = Number(process.env.RING_LOAD_RUNS ?? 12)

/** Fair shares, computed here independently of ring-ranks.ts: N·Q·w/W, none above Q. */
function shares (ring: Ring): Map<PeerId, number> {
  const out = new Map<PeerId, number>()
  let pool = [...ring.members].filter(([, m]) => m.weight > 0)
  let rest = Math.min(N, pool.length) * ring.q
  for (;;) {
    const total = pool.reduce((sum, [, m]) => sum + m.weight, 0)
    const capped = pool.filter(([, m]) => rest * m.weight / total > ring.q + 1e-9)
    if (capped.length === 0) {
      for (const [id, m] of pool) out.set(id, rest * m.weight / total)
      return out
    }
    for (const [id] of capped) out.set(id, ring.q)
    rest -= capped.length * ring.q
    pool = pool.filter((member) => !capped.includes(member))
  }
}

function loads (ring: Ring): Map<PeerId, number> {
  const load = new Map<PeerId, number>()
  for (let p = 0; p < ring.q; p++) for (const peer of preferenceList(ring, p, N)) load.set(peer, (load.get(peer) ?? 0) + 1)
  return load
}

/** max/mean over members of load / share. */
function loadSpread (ring: Ring): number {
  const load = loads(ring)
  const ratios = [...shares(ring)].map(([id, share]) => (load.get(id) ?? 0) / share)
  return Math.max(...ratios) / (ratios.reduce((a, b) => a + b, 0) / ratios.length)
}

/** List entries of `b` that were not in the same partition's list in `a`. */
function listChanges (a: Ring, b: Ring): number {
  let changed = 0
  for (let p = 0; p < a.q; p++) {
    const before = new Set(preferenceList(a, p, N))
    for (const peer of preferenceList(b, p, N)) if (!before.has(peer)) changed++
  }
  return changed
}

/** Every list: N distinct members (or all of them), the first min(N, zones) in distinct zones. */
function expectWellFormed (ring: Ring): void {
  const weighted = [...ring.members].filter(([, m]) => m.weight > 0)
  const zones = new Set(weighted.map(([, m]) => m.zone)).size
  for (let p = 0; p < ring.q; p++) {
    const list = preferenceList(ring, p, N)
    expect(list).toHaveLength(Math.min(N, weighted.length))
    expect(new Set(list).size).toBe(list.length)
    expect(list[0]).toBe(ring.owners[p])
    const head = list.slice(0, Math.min(N, zones)).map((peer) => ring.members.get(peer)?.zone)
    expect(new Set(head).size).toBe(head.length)
  }
}

/** The zones of a ring's weighted members, as one comparable string. */
function zonesOf (ring: Ring): string {
  return JSON.stringify([...new Set([...ring.members.values()].filter((m) => m.weight > 0).map((m) => m.zone))].sort())
}

interface Member { readonly id: string, readonly weight: number, readonly zone: string }

/** The clusters of the issue: S ≤ 200 equal members, 2-4 zones of equal weight, weights 1/2/4. */
const clusterArb: fc.Arbitrary<Member[]> = fc.oneof(
  fc.integer({ min: 1, max: 200 }).map((s) => Array.from({ length: s }, (_, i) => ({ id: `m${i}`, weight: 1, zone: 'a' }))),
  fc.record({ zones: fc.integer({ min: 2, max: 4 }), per: fc.integer({ min: 1, max: 50 }) })
    .map(({ zones, per }) => Array.from({ length: zones * per }, (_, i) => ({ id: `m${i}`, weight: 1, zone: `z${i % zones}` }))),
  fc.array(fc.constantFrom(1, 2, 4), { minLength: 1, maxLength: 30 })
    .map((weights) => weights.map((weight, i) => ({ id: `m${i}`, weight, zone: 'a' }))),
  // Zones of equal weight, each holding the same weights 1/2/4.
  fc.record({ zones: fc.integer({ min: 2, max: 4 }), per: fc.integer({ min: 1, max: 10 }) })
    .map(({ zones, per }) => Array.from({ length: zones * per * 3 }, (_, i) => ({ id: `m${i}`, weight: [1, 2, 4][Math.floor(i / zones) % 3] ?? 1, zone: `z${i % zones}` })))
)

interface Visitor { readonly weight: number, readonly zone: string, readonly stay: number }
interface History { readonly members: Member[], readonly visitors: Visitor[], readonly order: number[] }

/** A history: the cluster's members and some passers-by (who join and later leave, any zone), in a random order. */
const historyArb: fc.Arbitrary<History> = clusterArb.chain((members) => fc.record({
  members: fc.constant(members),
  visitors: fc.array(fc.record({ weight: fc.constantFrom(1, 2, 4), zone: fc.constantFrom('a', 'z0', 'z1', 'z9'), stay: fc.integer({ min: 1, max: 40 }) }), { maxLength: 12 }),
  order: fc.array(fc.nat(), { minLength: members.length + 12, maxLength: members.length + 12 })
}))

interface Step { readonly kind: 'join' | 'leave', readonly id: string }

/** The steps and the records after each, times 1, 2, 3… in step order. */
function replay (history: History): { steps: Step[], records: MemberRecord[][] } {
  const everyone: Member[] = [...history.members, ...history.visitors.map((v, i) => ({ id: `v${i}`, weight: v.weight, zone: v.zone }))]
  const joins = everyone.map((m, i) => ({ m, key: history.order[i] ?? 0, i })).sort((a, b) => a.key - b.key || a.i - b.i).map((x) => x.m)
  const steps: Step[] = []
  const pending = new Map<string, number>()
  joins.forEach((m, t) => {
    steps.push({ kind: 'join', id: m.id })
    const visitor = history.visitors[Number(m.id.slice(1))]
    if (m.id.startsWith('v') && visitor !== undefined) pending.set(m.id, t + visitor.stay)
    for (const [id, at] of [...pending]) {
      if (at <= t) {
        steps.push({ kind: 'leave', id })
        pending.delete(id)
      }
    }
  })
  for (const id of pending.keys()) steps.push({ kind: 'leave', id })
  const byId = new Map(everyone.map((m) => [m.id, m]))
  const current = new Map<string, MemberRecord>()
  const records: MemberRecord[][] = []
  steps.forEach((step, t) => {
    const m = byId.get(step.id) as Member
    const base = current.get(step.id)
    current.set(step.id, step.kind === 'join'
      ? { id: m.id, addrs: [], weight: m.weight, zone: m.zone, status: 'active', incarnation: 1, heartbeat: 0, joinedAt: t + 1 }
      : { ...(base as MemberRecord), status: 'left', leftAt: t + 1 })
    records.push([...current.values()])
  })
  return { steps, records }
}

function countsOf (ring: Ring): Map<PeerId, number> {
  const counts = new Map<PeerId, number>()
  for (const owner of ring.owners) if (owner !== null) counts.set(owner, (counts.get(owner) ?? 0) + 1)
  return counts
}

describe('fair replica load (Q=1024, N=3)', () => {
  it('max/mean of load over fair share ≤ 1.10 for S ≤ 200, zoned and weighted, after random joins and leaves; ownership floor/ceil; bounded list changes per join and leave', () => {
    fc.assert(fc.property(historyArb, (history) => {
      const { steps, records } = replay(history)
      const builder = new RingBuilder(Q)
      let ring = builder.update([])
      steps.forEach((step, t) => {
        const next = builder.update(records[t] ?? [])
        const weighted = [...next.members.values()].filter((m) => m.weight > 0).length
        // A join or leave that adds or removes a zone changes which zones every list must
        // cover: all lists may change then (the plain walk too). The bound is for the others.
        const sameZones = zonesOf(ring) === zonesOf(next)
        if (step.kind === 'join' && ring.owners[0] !== null) {
          const moved = next.owners.flatMap((owner, p) => owner === ring.owners[p] ? [] : [owner])
          expect(moved.every((owner) => owner === step.id)).toBe(true)
          expect(moved).toHaveLength(countsOf(next).get(step.id) ?? 0)
          // Fewer members than N: every list grows by one, whatever the rule.
          if (weighted > N && sameZones) expect(listChanges(ring, next)).toBeLessThanOrEqual(JOIN_SLACK * (loads(next).get(step.id) ?? 0) + JOIN_EXTRA)
        }
        if (step.kind === 'leave' && weighted >= N && sameZones) {
          expect(listChanges(ring, next)).toBeLessThanOrEqual(LEAVE_SLACK * (loads(ring).get(step.id) ?? 0) + JOIN_EXTRA)
        }
        ring = next
      })
      const active = history.members
      expect([...ring.members.keys()].sort()).toEqual(active.map((m) => m.id).sort())
      const total = active.reduce((sum, m) => sum + m.weight, 0)
      const counts = countsOf(ring)
      for (const m of active) {
        const exact = Q * m.weight / total
        const count = counts.get(m.id) ?? 0
        expect(count === Math.floor(exact) || count === Math.ceil(exact)).toBe(true)
      }
      expectWellFormed(ring)
      const full = buildRing(records[records.length - 1] ?? [], Q)
      expect(full.ranks).toEqual(ring.ranks)
      expect(loadSpread(ring)).toBeLessThanOrEqual(BOUND)
    }), { numRuns: RUNS })
  }, 60_000 + RUNS * 10_000)

  it.each([
    ['S=5', 5, 1, 1],
    ['S=10', 10, 1, 1],
    ['S=30', 30, 1, 1],
    ['S=100', 100, 1, 1],
    ['S=200', 200, 1, 1],
    ['3 zones × 10', 30, 3, 1],
    ['4 zones × 22', 88, 4, 1],
    ['3 zones × 60', 180, 3, 1],
    ['weights 1/2/4, S=6', 6, 1, 3],
    ['weights 1/2/4, S=9', 9, 1, 3]
  ])('the measured case %s stays ≤ 1.10 (the plain walk: 1.02-2.23)', (_, s, zones, weights) => {
    const records: MemberRecord[] = Array.from({ length: s }, (_, i) => ({
      id: `node-${i}`, addrs: [], weight: weights === 1 ? 1 : ([1, 2, 4][i % 3] ?? 1), zone: `z${i % zones}`, status: 'active', incarnation: 1, heartbeat: 0, joinedAt: i
    }))
    const ring = buildRing(records, Q)
    expectWellFormed(ring)
    expect(loadSpread(ring)).toBeLessThanOrEqual(BOUND)
    // The plain walk over the same owners, for contrast: above the bound from S=100 or with zones.
    const walk = { q: ring.q, owners: ring.owners, members: ring.members }
    if (s >= 100 || zones > 1) expect(loadSpread(walk)).toBeGreaterThan(BOUND)
  })

  it('zones of unequal weight: members of one zone share its load evenly, though a light zone carries more than its weight (in every list when zones < N)', () => {
    // 2 zones, 1 + 9 members: the lone member is in every list (load Q), the other 9 share 2Q.
    const records: MemberRecord[] = Array.from({ length: 10 }, (_, i) => ({
      id: `node-${i}`, addrs: [], weight: 1, zone: i === 0 ? 'small' : 'big', status: 'active', incarnation: 1, heartbeat: 0, joinedAt: i
    }))
    const ring = buildRing(records, Q)
    expectWellFormed(ring)
    const load = loads(ring)
    expect(load.get('node-0')).toBe(Q)
    const big = records.slice(1).map((r) => load.get(r.id) ?? 0)
    expect(Math.max(...big) - Math.min(...big)).toBeLessThanOrEqual(1)
    expect(big.reduce((a, b) => a + b, 0)).toBe(2 * Q)
  })
})
