/**
 * `npx tsx bench/ring-load.ts`: preference-list (replica) load of the ring, Q=1024, N=3
 * (issue 13 item 3). A member's load is the number of partitions whose preference list holds
 * it; its fair share is N·Q·w/W (capped at Q, ring-fair.ts). Prints, per case, max/mean of load over share (the mean of
 * that ratio is about 1), the worst member's load / share, the lightest member's ratio, what a newest join moves (owners, and
 * preference-list entries), and the time of a fold of 200 joins over 4096 partitions.
 */
import { buildRing, countMoved, preferenceList } from '../packages/core/src/ring.js'
import type { Ring } from '../packages/core/src/ring.js'
import { fairShares } from '../packages/core/src/ring-fair.js'
import type { MemberRecord } from '../packages/core/src/types.js'

const Q = 1024
const N = 3

function member (i: number, weight: number, zone: string): MemberRecord {
  return { id: `node-${i}`, addrs: [], weight, zone, status: 'active', incarnation: 1, heartbeat: 0, joinedAt: i }
}

interface Case { readonly name: string, readonly records: MemberRecord[] }

const equal = (s: number): Case => ({ name: `S=${s}`, records: Array.from({ length: s }, (_, i) => member(i, 1, 'a')) })
const zoned = (zones: number, per: number): Case => ({ name: `${zones} zones × ${per}`, records: Array.from({ length: zones * per }, (_, i) => member(i, 1, `z${i % zones}`)) })
const weighted = (s: number): Case => ({ name: `weights 1/2/4, S=${s}`, records: Array.from({ length: s }, (_, i) => member(i, [1, 2, 4][i % 3] ?? 1, 'a')) })

function ratios (ring: Ring): number[] {
  const load = new Map<string, number>()
  for (let p = 0; p < ring.q; p++) for (const peer of preferenceList(ring, p, N)) load.set(peer, (load.get(peer) ?? 0) + 1)
  // Water-filled shares: N·Q·w/W, none above Q (weights 1/2/4 at S=3: everyone is in every list).
  return [...fairShares(ring, N)].map(([id, share]) => (load.get(id) ?? 0) / share)
}

function listChanges (a: Ring, b: Ring): number {
  let changed = 0
  for (let p = 0; p < a.q; p++) {
    const before = new Set(preferenceList(a, p, N))
    for (const peer of preferenceList(b, p, N)) if (!before.has(peer)) changed++
  }
  return changed
}

const cases = [equal(5), equal(10), equal(30), equal(100), equal(200), zoned(3, 10), weighted(3), weighted(6), weighted(9)]
console.log('case | max/mean | worst load/share | min/mean | join: owners moved / newcomer share | join: list entries changed')
for (const c of cases) {
  const ring = buildRing(c.records, Q)
  const r = ratios(ring)
  const mean = r.reduce((a, b) => a + b, 0) / r.length
  const last = c.records[c.records.length - 1] as MemberRecord
  const newcomer: MemberRecord = { ...last, id: 'newcomer', joinedAt: 10_000 }
  const after = buildRing([...c.records, newcomer], Q)
  const share = after.owners.filter((o) => o === 'newcomer').length
  console.log(`${c.name} | ${(Math.max(...r) / mean).toFixed(3)} | ${Math.max(...r).toFixed(3)} | ${(Math.min(...r) / mean).toFixed(3)} | ${countMoved(ring, after)} / ${share} | ${listChanges(ring, after)}`)
}

const fold = Array.from({ length: 200 }, (_, i) => member(i, 1 + (i % 3), `z${i % 5}`))
const times = Array.from({ length: 7 }, () => {
  const start = performance.now()
  const ring = buildRing(fold, 4096)
  preferenceList(ring, 0, N)
  return performance.now() - start
}).sort((a, b) => a - b)
console.log(`fold of 200 joins over 4096 partitions (+ first preference list): median ${times[3]?.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms`)
