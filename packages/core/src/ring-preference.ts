/**
 * Preference lists (paper §4.3, §4.6): the N distinct peers that hold a partition's keys,
 * the owner first, then peers found by walking the partitions clockwise, spread across zones
 * first and skipping peers already at their fair share of lists (ring-fair.ts). And the sloppy
 * variant: unreachable primaries replaced by the next healthy peers along the ring, each
 * fallback holding a hint for the primary it stands in for (Riak's `get_apl`).
 */
import { RingInputError, checkPartition } from './hash.js'
import { fairPreferenceLists } from './ring-fair.js'
import type { PeerId, Placement } from './types.js'

/** The ring: who owns each of the q partitions, and the active members. */
export interface Ring {
  readonly q: number
  /** owners[p] = the member owning partition p; null only if no active member has weight > 0. */
  readonly owners: readonly (PeerId | null)[]
  /** The active members (weight 0 ones included), in id order. */
  readonly members: ReadonlyMap<PeerId, { weight: number, zone: string }>
}

/**
 * The Ring that buildRing returns: plain readonly data plus private memo tables, so the hot
 * path (a preference list per request) is an array lookup. Any other object shaped like a
 * Ring works with every function here too, just without the memo.
 */
export class MemoRing implements Ring {
  readonly q: number
  readonly owners: readonly (PeerId | null)[]
  readonly members: ReadonlyMap<PeerId, { weight: number, zone: string }>
  /** By n: all q lists, computed together (ring-fair.ts). */
  readonly #preference = new Map<number, ReadonlyArray<readonly PeerId[]>>()

  constructor (q: number, owners: readonly (PeerId | null)[], members: ReadonlyMap<PeerId, { weight: number, zone: string }>) {
    this.q = q
    this.owners = Object.freeze(owners)
    this.members = members
  }

  lists (n: number): ReadonlyArray<readonly PeerId[]> {
    let lists = this.#preference.get(n)
    if (lists === undefined) {
      lists = fairPreferenceLists(this, n).map((list) => Object.freeze(list))
      this.#preference.set(n, lists)
    }
    return lists
  }
}

function checkCount (n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RingInputError(`replica count ${n} is not a non-negative integer`)
}

/** All q lists of length n: memoized on a MemoRing, computed afresh for any other Ring. */
function allLists (ring: Ring, n: number): ReadonlyArray<readonly PeerId[]> {
  return ring instanceof MemoRing ? ring.lists(n) : fairPreferenceLists(ring, n)
}

/**
 * The preference list of a partition: up to n distinct peers, the owner first, as many
 * zones as the ring allows, each member near its fair share of lists (ring-fair.ts).
 * Shorter than n only if the ring has fewer owners. The result is shared (memoized,
 * frozen): do not mutate it.
 */
export function preferenceList (ring: Ring, partition: number, n: number): readonly PeerId[] {
  checkPartition(partition, ring.q)
  checkCount(n)
  return allLists(ring, n)[partition] ?? []
}

/** All distinct owners in clockwise order starting at `partition` (the candidates for fallbacks). */
export function walkOrder (ring: Ring, partition: number): PeerId[] {
  checkPartition(partition, ring.q)
  const { q, owners } = ring
  const seen = new Set<PeerId>()
  for (let step = 0; step < q; step++) {
    const owner = owners[(partition + step) % q] ?? null
    if (owner !== null) seen.add(owner)
  }
  return [...seen]
}

/**
 * The sloppy preference list (paper §4.6): each primary that is reachable stays; each
 * unreachable one is replaced by the next reachable peer along the walk that is neither a
 * primary nor already chosen, as a fallback with a hint for it; if none is left, that
 * primary is omitted, so the result may be shorter than n. No peer appears twice.
 */
export function sloppyPreferenceList (ring: Ring, partition: number, n: number, isReachable: (peer: PeerId) => boolean): Placement[] {
  const primaries = preferenceList(ring, partition, n)
  // The common case, on every request: all primaries up, nothing to walk or remember.
  const down = primaries.findIndex((peer) => !isReachable(peer))
  if (down < 0) return primaries.map((peer) => ({ peer, role: 'primary' }))
  const primarySet = new Set(primaries)
  // isReachable is asked once per peer: keep what the scan above learnt.
  const reachability = new Map<PeerId, boolean>(primaries.slice(0, down + 1).map((peer, i) => [peer, i < down]))
  const reachable = (peer: PeerId): boolean => {
    let known = reachability.get(peer)
    if (known === undefined) {
      known = isReachable(peer)
      reachability.set(peer, known)
    }
    return known
  }
  const { q, owners } = ring
  const chosen = new Set<PeerId>()
  const placements: Placement[] = []
  // One cursor serves all fallbacks: whatever it skipped (a primary, an unreachable or an
  // already chosen peer) stays ineligible, so restarting the walk would find the same peer.
  let step = 0
  for (const primary of primaries) {
    if (reachable(primary)) {
      placements.push({ peer: primary, role: 'primary' })
      continue
    }
    for (; step < q; step++) {
      const owner = owners[(partition + step) % q] ?? null
      if (owner === null || primarySet.has(owner) || chosen.has(owner) || !reachable(owner)) continue
      chosen.add(owner)
      placements.push({ peer: owner, role: 'fallback', hintFor: primary })
      step++
      break
    }
  }
  return placements
}

/** The partitions whose preference list (length n) contains `peer`: what it must replicate. */
export function replicaPartitions (ring: Ring, peer: PeerId, n: number): number[] {
  checkCount(n)
  const lists = allLists(ring, n)
  const partitions: number[] = []
  for (let p = 0; p < ring.q; p++) {
    if (lists[p]?.includes(peer) === true) partitions.push(p)
  }
  return partitions
}
