/**
 * `npx tsx bench/ring-load.ts [--json FILE]` (also the `ring` section of `npm run bench`): preference-list (replica) load of the ring,
 * Q=1024, N=3 (issue 13 item 3), balanced ranks (ring-ranks.ts) against the plain walk (the
 * first N distinct owners clockwise, what the ring did before). A member's load is the
 * number of partitions whose list holds it; its fair share is N·Q·w/W, water-filled so
 * that none exceeds Q. Per case: max/mean of load over share, the worst member's load /
 * share, and what the newest join and a leave change in the lists (entries that are new in
 * a list), next to the newcomer's fair share of entries (the least a join can change).
 */
import { writeFileSync } from 'node:fs'
import { buildRing, preferenceList } from '../packages/core/src/ring.js'
import type { Ring } from '../packages/core/src/ring.js'
import { waterFilledShares } from '../packages/core/src/ring-ranks.js'
import type { MemberRecord } from '../packages/core/src/types.js'

const Q = 1024
const N = 3

function member (i: number, weight: number, zone: string): MemberRecord {
  return { id: `node-${i}`, addrs: [], weight, zone, status: 'active', incarnation: 1, heartbeat: 0, joinedAt: i }
}

export interface RingLoadCase { readonly name: string, readonly records: MemberRecord[] }

const equal = (s: number): RingLoadCase => ({ name: `S=${s}`, records: Array.from({ length: s }, (_, i) => member(i, 1, 'a')) })
const zoned = (zones: number, per: number): RingLoadCase => ({ name: `${zones} zones × ${per}`, records: Array.from({ length: zones * per }, (_, i) => member(i, 1, `z${i % zones}`)) })
const weighted = (s: number): RingLoadCase => ({ name: `weights 1/2/4, S=${s}`, records: Array.from({ length: s }, (_, i) => member(i, [1, 2, 4][i % 3] ?? 1, 'a')) })

/** The ring as the plain walk sees it: the same owners, no balanced ranks. */
function plainWalk (ring: Ring): Ring {
  return { q: ring.q, owners: ring.owners, members: ring.members }
}

/** Load / fair share per weighted member. */
export function loadRatios (ring: Ring, n = N): number[] {
  const load = new Map<string, number>()
  for (let p = 0; p < ring.q; p++) for (const peer of preferenceList(ring, p, n)) load.set(peer, (load.get(peer) ?? 0) + 1)
  const members = [...ring.members].filter(([, m]) => m.weight > 0)
  const shares = waterFilledShares(members.map(([, m]) => m.weight), ring.q, ring.q * Math.min(n, members.length))
  return members.map(([id], s) => (load.get(id) ?? 0) / (shares[s] ?? 1))
}

/** List entries of `b` that were not in the same partition's list in `a`. */
export function listChanges (a: Ring, b: Ring, n = N): number {
  let changed = 0
  for (let p = 0; p < a.q; p++) {
    const before = new Set(preferenceList(a, p, n))
    for (const peer of preferenceList(b, p, n)) if (!before.has(peer)) changed++
  }
  return changed
}

export interface RingLoadRow {
  readonly name: string
  readonly walk: { readonly maxOverMean: number, readonly worst: number, readonly joinChanges: number, readonly leaveChanges: number }
  readonly balanced: { readonly maxOverMean: number, readonly worst: number, readonly joinChanges: number, readonly leaveChanges: number }
  /** The newcomer's fair share of list entries: the least a join can change. */
  readonly joinMinimum: number
}

function spread (ratios: number[]): { maxOverMean: number, worst: number } {
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length
  return { maxOverMean: Math.max(...ratios) / mean, worst: Math.max(...ratios) }
}

export function measure (c: RingLoadCase): RingLoadRow {
  const ring = buildRing(c.records, Q)
  const last = c.records[c.records.length - 1] as MemberRecord
  const after = buildRing([...c.records, { ...last, id: 'newcomer', joinedAt: 10_000 }], Q)
  const leaver = c.records[Math.floor(c.records.length / 2)] as MemberRecord
  const left = buildRing(c.records.map((r) => r === leaver ? { ...r, status: 'left', leftAt: 10_000 } : r), Q)
  const afterMembers = [...after.members].filter(([, m]) => m.weight > 0)
  const shares = waterFilledShares(afterMembers.map(([, m]) => m.weight), Q, Q * Math.min(N, afterMembers.length))
  const joinMinimum = shares[afterMembers.findIndex(([id]) => id === 'newcomer')] ?? 0
  return {
    name: c.name,
    walk: { ...spread(loadRatios(plainWalk(ring))), joinChanges: listChanges(plainWalk(ring), plainWalk(after)), leaveChanges: listChanges(plainWalk(ring), plainWalk(left)) },
    balanced: { ...spread(loadRatios(ring)), joinChanges: listChanges(ring, after), leaveChanges: listChanges(ring, left) },
    joinMinimum
  }
}

export const RING_LOAD_CASES: RingLoadCase[] = [equal(5), equal(10), equal(30), equal(100), equal(200), zoned(3, 10), zoned(4, 22), zoned(3, 60), weighted(3), weighted(6), weighted(9), weighted(30)]

export interface RingLoadResult {
  readonly q: number
  readonly n: number
  readonly rows: RingLoadRow[]
  /** Median of 5 builds of the ring of 200 weighted, zoned members over 4096 partitions (the whole fold). */
  readonly foldMs: number
}

export function runRingLoad (): RingLoadResult {
  const rows = RING_LOAD_CASES.map(measure)
  const fold = Array.from({ length: 200 }, (_, i) => member(i, 1 + (i % 3), `z${i % 5}`))
  const times = Array.from({ length: 5 }, () => {
    const start = performance.now()
    buildRing(fold, 4096)
    return performance.now() - start
  }).sort((a, b) => a - b)
  return { q: Q, n: N, rows, foldMs: times[2] ?? 0 }
}

export function ringLoadTable (r: RingLoadResult): string {
  const lines = [
    `### Replica load (Q=${r.q}, N=${r.n}): load / fair share, max over mean; list entries a join and a leave change`,
    '',
    '| case | walk (before) | balanced ranks | join: least / walk / balanced | leave: walk / balanced |',
    '|---|---|---|---|---|',
    ...r.rows.map((row) => `| ${row.name} | ${row.walk.maxOverMean.toFixed(3)} | ${row.balanced.maxOverMean.toFixed(3)} | ` +
      `${row.joinMinimum.toFixed(0)} / ${row.walk.joinChanges} / ${row.balanced.joinChanges} | ${row.walk.leaveChanges} / ${row.balanced.leaveChanges} |`),
    '',
    `Fold of 200 weighted, zoned joins over 4096 partitions: median ${r.foldMs.toFixed(0)} ms.`
  ]
  return lines.join('\n')
}

function main (): void {
  const jsonAt = process.argv.indexOf('--json')
  const result = runRingLoad()
  console.log(ringLoadTable(result))
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1] ?? 'ring-load.json', JSON.stringify(result, null, 2))
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) main()
