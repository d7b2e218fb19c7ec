/**
 * Load-aware preference lists (issue 13 item 3). The plain walk (first N distinct owners
 * clockwise) gives each member a replica load that depends on who happens to precede its
 * partitions: with Q=1024, N=3 it reached 1.24 × the fair share at S=200 and 1.41 with
 * 3 zones × 10 (bench/ring-load.ts). Balanced ownership alone cannot fix it: at S=200 a
 * member owns 5 or 6 of 5.12 partitions, so "N per owned partition" is already 1.17.
 *
 * So the lists are chosen together, from the owner array and the member table only (every
 * peer computes the same ones), one rank (place in the list) at a time, and within a rank
 * partition by partition in order 0..Q-1:
 *   - rank 1 is the owner, as before;
 *   - at rank k, a member whose fair share exceeds Q/2 and who must be in every remaining
 *     list that lacks it to reach floor(share) is taken first: it can be in each list once,
 *     so a greedy that left it for the end would hand the last lists to lighter members;
 *   - otherwise the first member in walk order, of a new zone while the list has fewer than
 *     min(k, zones), skipping members whose load already reached ceil(share); only if the
 *     whole walk is at its cap does it take one anyway.
 * The share at rank k is k·Q·w/W, water-filled so that none exceeds Q. Building by rank
 * keeps the list for N a prefix of the list for any larger N.
 */
import type { PeerId } from './types.js'

/** The subset of a Ring this needs (ring-preference.ts defines Ring on top of it). */
export interface OwnedRing {
  readonly q: number
  readonly owners: readonly (PeerId | null)[]
  readonly members: ReadonlyMap<PeerId, { weight: number, zone: string }>
}

/**
 * Each weighted member's fair replica load for lists of length n: n·q·w/W, except that a
 * share above q is cut to q and the excess spread over the others by weight (a member can
 * be in each list once). Members of weight 0 are absent.
 */
export function fairShares (ring: OwnedRing, n: number): Map<PeerId, number> {
  const shares = new Map<PeerId, number>()
  let pool = [...ring.members].filter(([, m]) => m.weight > 0)
  let rest = n * ring.q
  while (pool.length > 0) {
    const total = pool.reduce((sum, [, m]) => sum + m.weight, 0)
    const over = pool.filter(([, m]) => rest * m.weight / total > ring.q)
    if (over.length === 0) {
      for (const [id, m] of pool) shares.set(id, rest * m.weight / total)
      break
    }
    for (const [id] of over) shares.set(id, ring.q)
    rest -= over.length * ring.q
    pool = pool.filter((member) => !over.includes(member))
  }
  return shares
}

/** Float slack for ceil/floor of a share that is an integer computed in doubles. */
const EPSILON = 1e-9

/** All q preference lists of length n (see the file comment). */
export function fairPreferenceLists (ring: OwnedRing, n: number): PeerId[][] {
  const { q, owners } = ring
  // Dense indices for the owners, in first-seen order (deterministic: the owner array).
  const index = new Map<PeerId, number>()
  const ids: PeerId[] = []
  const ownerIndex = new Int32Array(q)
  for (let p = 0; p < q; p++) {
    const owner = owners[p] ?? null
    if (owner === null) { ownerIndex[p] = -1; continue }
    let i = index.get(owner)
    if (i === undefined) {
      i = ids.length
      index.set(owner, i)
      ids.push(owner)
    }
    ownerIndex[p] = i
  }
  const zoneNames = new Map<string, number>()
  const zone = Int32Array.from(ids, (id) => {
    const name = ring.members.get(id)?.zone ?? ''
    let z = zoneNames.get(name)
    if (z === undefined) { z = zoneNames.size; zoneNames.set(name, z) }
    return z
  })
  // Rank 1: the owners. Lists of partitions without an owner stay empty.
  const lists: number[][] = Array.from(ownerIndex, (i) => i < 0 || n === 0 ? [] : [i])
  const load = new Int32Array(ids.length)
  for (const i of ownerIndex) if (i >= 0) load[i] = (load[i] ?? 0) + 1
  const target = Math.min(n, ids.length)
  for (let rank = 2; rank <= target; rank++) addRank(ring, { ids, ownerIndex, zone, zones: zoneNames.size, lists, load }, rank)
  return lists.map((list) => list.map((i) => ids[i] ?? ''))
}

interface RankState {
  readonly ids: readonly PeerId[]
  readonly ownerIndex: Int32Array
  readonly zone: Int32Array
  readonly zones: number
  /** By partition: member indices, the first rank - 1 taken. */
  readonly lists: number[][]
  /** By member: how many lists hold it so far. */
  readonly load: Int32Array
}

/**
 * Appends the rank-th peer to every list, balancing the load of the first `rank` places
 * against fairShares(ring, rank). Ranks are added one at a time so that the list of length
 * n is the first n of any longer one: a request with a smaller N asks a subset of the
 * replicas the cluster's N keeps.
 */
function addRank (ring: OwnedRing, state: RankState, rank: number): void {
  const { q } = ring
  const { ids, ownerIndex, zone, lists, load } = state
  const shares = fairShares(ring, rank)
  const cap = Float64Array.from(ids, (id) => Math.ceil((shares.get(id) ?? 0) - EPSILON))
  const floorShare = Float64Array.from(ids, (id) => Math.floor((shares.get(id) ?? 0) + EPSILON))
  // Heavy members, in id order, and how many lists from p on lack each.
  const heavy = ids.map((_, i) => i).filter((i) => (shares.get(ids[i] ?? '') ?? 0) > q / 2)
    .sort((a, b) => (ids[a] ?? '') < (ids[b] ?? '') ? -1 : 1)
  const lacking = new Map(heavy.map((h) => [h, q - (load[h] ?? 0)]))
  const zoneTarget = Math.min(rank, state.zones)
  const inList = new Uint8Array(ids.length)
  const zoneUsed = new Uint8Array(state.zones)
  for (let p = 0; p < q; p++) {
    const list = lists[p] ?? []
    if (list.length === 0) continue
    let zones = 0
    for (const i of list) {
      inList[i] = 1
      if (zoneUsed[zone[i] ?? 0] === 0) { zoneUsed[zone[i] ?? 0] = 1; zones++ }
    }
    const newZone = zones < zoneTarget
    const eligible = (i: number, capped: boolean): boolean =>
      inList[i] === 0 && (!newZone || zoneUsed[zone[i] ?? 0] === 0) && (!capped || (load[i] ?? 0) < (cap[i] ?? 0))
    let pick = -1
    for (const h of heavy) {
      if (inList[h] === 1) continue
      const left = lacking.get(h) ?? 0
      lacking.set(h, left - 1)
      // If h needs every list from here on that lacks it, it takes this one.
      const need = (floorShare[h] ?? 0) - (load[h] ?? 0)
      if (pick < 0 && need > 0 && need >= left && eligible(h, false)) pick = h
    }
    if (pick < 0) pick = walk(ownerIndex, p, (i) => eligible(i, true))
    if (pick < 0) pick = walk(ownerIndex, p, (i) => eligible(i, false))
    for (const i of list) { inList[i] = 0; zoneUsed[zone[i] ?? 0] = 0 }
    if (pick < 0) continue // fewer distinct owners than rank: cannot happen (target ≤ owners)
    list.push(pick)
    load[pick] = (load[pick] ?? 0) + 1
  }
}

/** The first member clockwise after partition p that `ok` accepts, or -1. */
function walk (ownerIndex: Int32Array, p: number, ok: (i: number) => boolean): number {
  const q = ownerIndex.length
  for (let step = 1; step < q; step++) {
    const i = ownerIndex[(p + step) % q] ?? -1
    if (i >= 0 && ok(i)) return i
  }
  return -1
}
