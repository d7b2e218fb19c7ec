/**
 * Load-aware preference lists (issue 13 item 3). The plain walk (first N distinct owners
 * clockwise) gives each member a replica load that depends on who happens to precede its
 * partitions: with Q=1024, N=3 it reached 1.24 × the fair share at S=200 and 1.41 with
 * 3 zones × 10 (bench/ring-load.ts). Balanced ownership alone cannot fix it: at S=200 a
 * member owns 5 or 6 of 5.12 partitions, so "N per owned partition" is already 1.17.
 *
 * So the lists are chosen together, from the owner array and the member table only (every
 * peer computes the same ones), visiting partitions in order 0..Q-1:
 *   - the owner is first, as before (its primaries are counted up front);
 *   - a member whose fair share exceeds Q/2 and who must be in every remaining list to reach
 *     floor(share) is taken next: near Q it can be in at most one list per partition, so a
 *     greedy that filled it late would leave the tail to lighter members;
 *   - the rest are taken in walk order, zones first as before, skipping any member already
 *     at ceil(share); only if the whole walk is at its cap does a walk take one anyway.
 * The share is N·Q·w/W, water-filled so that no member's exceeds Q (one replica per list).
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
  const shares = fairShares(ring, n)
  const cap = Float64Array.from(ids, (id) => Math.ceil((shares.get(id) ?? 0) - EPSILON))
  const floorShare = Float64Array.from(ids, (id) => Math.floor((shares.get(id) ?? 0) + EPSILON))
  const load = new Int32Array(ids.length)
  const ownedLeft = new Int32Array(ids.length)
  for (let p = 0; p < q; p++) {
    const i = ownerIndex[p] ?? -1
    if (i >= 0) { load[i] = (load[i] ?? 0) + 1; ownedLeft[i] = (ownedLeft[i] ?? 0) + 1 }
  }
  // Heavy members, in id order: the only ones that can run out of lists to appear in.
  const heavy = ids.map((_, i) => i).filter((i) => (shares.get(ids[i] ?? '') ?? 0) > q / 2)
    .sort((a, b) => (ids[a] ?? '') < (ids[b] ?? '') ? -1 : 1)
  const target = Math.min(n, ids.length)
  const zoneTarget = Math.min(target, zoneNames.size)
  const lists: PeerId[][] = []
  const inList = new Uint8Array(ids.length)
  const zoneUsed = new Uint8Array(zoneNames.size)
  for (let p = 0; p < q; p++) {
    const primary = ownerIndex[p] ?? -1
    if (primary < 0 || target === 0) { lists.push([]); continue }
    ownedLeft[primary] = (ownedLeft[primary] ?? 0) - 1
    const chosen = [primary]
    let zones = 1
    inList[primary] = 1
    zoneUsed[zone[primary] ?? 0] = 1
    const take = (i: number): void => {
      chosen.push(i)
      inList[i] = 1
      if (zoneUsed[zone[i] ?? 0] === 0) { zoneUsed[zone[i] ?? 0] = 1; zones++ }
      load[i] = (load[i] ?? 0) + 1
    }
    // A same-zone pick is allowed only while the other slots can still reach zoneTarget.
    const zoneRoom = (i: number): boolean => zoneUsed[zone[i] ?? 0] === 0 || target - chosen.length - 1 >= zoneTarget - zones
    for (const h of heavy) {
      if (chosen.length >= target || inList[h] === 1 || !zoneRoom(h)) continue
      const need = (floorShare[h] ?? 0) - (load[h] ?? 0)
      // Lists left that h does not own, this one included: if it needs them all, now.
      if (need > 0 && need >= (q - p) - (ownedLeft[h] ?? 0)) take(h)
    }
    const walk = (newZoneOnly: boolean, capped: boolean): void => {
      for (let step = 1; step < q && chosen.length < target && (!newZoneOnly || zones < zoneTarget); step++) {
        const i = ownerIndex[(p + step) % q] ?? -1
        if (i < 0 || inList[i] === 1) continue
        if (newZoneOnly && zoneUsed[zone[i] ?? 0] === 1) continue
        if (capped && (load[i] ?? 0) >= (cap[i] ?? 0)) continue
        take(i)
      }
    }
    walk(true, true)
    walk(true, false)
    walk(false, true)
    walk(false, false)
    for (const i of chosen) { inList[i] = 0; zoneUsed[zone[i] ?? 0] = 0 }
    lists.push(chosen.map((i) => ids[i] ?? ''))
  }
  return lists
}
