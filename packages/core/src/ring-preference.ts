/**
 * Preference lists (paper §4.3, §4.6): the N distinct peers that hold a partition's keys:
 * the owner, then the ring's balanced ranks 2..BALANCED_RANKS (ring-ranks.ts: zones spread,
 * each member's load about its fair share), then, for a longer list, peers found by walking
 * the partitions clockwise, zones spread first. And the sloppy
 * variant: unreachable primaries replaced by the next healthy peers along the ring, each
 * fallback holding a hint for the primary it stands in for (Riak's `get_apl`).
 */
import { RingInputError, checkPartition } from './hash.js'
import type { PeerId, Placement } from './types.js'

/** The ring: who owns each of the q partitions, and the active members. */
export interface Ring {
  readonly q: number
  /** owners[p] = the member owning partition p; null only if no active member has weight > 0. */
  readonly owners: readonly (PeerId | null)[]
  /** The active members (weight 0 ones included), in id order. */
  readonly members: ReadonlyMap<PeerId, { weight: number, zone: string }>
  /**
   * ranks[k - 2][p] = the member at rank k of partition p's list (k = 2..BALANCED_RANKS),
   * as the ring's fold balanced them (ring-ranks.ts). A Ring without it (a hand-made one)
   * gets the plain zone-aware walk from the owner.
   */
  readonly ranks?: ReadonlyArray<readonly (PeerId | null)[]>
}

/** How many distinct owners and distinct owner zones a ring has: where a walk may stop early. */
interface WalkLimits { readonly peers: number, readonly zones: number }

/**
 * The Ring that buildRing returns: plain readonly data plus private memo tables, so the hot
 * path (a preference list per request) is a map lookup. Any other object shaped like a
 * Ring works with every function here too, just without the memo.
 */
export class MemoRing implements Ring {
  readonly q: number
  readonly owners: readonly (PeerId | null)[]
  readonly members: ReadonlyMap<PeerId, { weight: number, zone: string }>
  /** The ranks' names, made on first use (a ring that serves no list never pays for them). */
  #ranks: ReadonlyArray<readonly (PeerId | null)[]> | (() => ReadonlyArray<readonly (PeerId | null)[]>) | undefined
  /** By n, then by partition. */
  readonly #preference = new Map<number, Array<readonly PeerId[] | undefined>>()
  #limits: WalkLimits | undefined

  constructor (q: number, owners: readonly (PeerId | null)[], members: ReadonlyMap<PeerId, { weight: number, zone: string }>, ranks?: ReadonlyArray<readonly (PeerId | null)[]> | (() => ReadonlyArray<readonly (PeerId | null)[]>)) {
    this.q = q
    this.owners = Object.freeze(owners)
    this.members = members
    this.#ranks = ranks
  }

  get ranks (): ReadonlyArray<readonly (PeerId | null)[]> | undefined {
    if (typeof this.#ranks === 'function') this.#ranks = Object.freeze(this.#ranks())
    return this.#ranks
  }

  limits (): WalkLimits {
    this.#limits ??= walkLimits(this)
    return this.#limits
  }

  preference (partition: number, n: number): readonly PeerId[] {
    let byPartition = this.#preference.get(n)
    if (byPartition === undefined) {
      byPartition = new Array<readonly PeerId[] | undefined>(this.q)
      this.#preference.set(n, byPartition)
    }
    let list = byPartition[partition]
    if (list === undefined) {
      list = Object.freeze(computePreference(this, partition, n, this.limits()))
      byPartition[partition] = list
    }
    return list
  }
}

function zoneOf (ring: Ring, peer: PeerId): string {
  return ring.members.get(peer)?.zone ?? ''
}

function walkLimits (ring: Ring): WalkLimits {
  const peers = new Set<PeerId>()
  const zones = new Set<string>()
  for (const owner of ring.owners) {
    if (owner === null || peers.has(owner)) continue
    peers.add(owner)
    zones.add(zoneOf(ring, owner))
  }
  return { peers: peers.size, zones: zones.size }
}

function checkCount (n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RingInputError(`replica count ${n} is not a non-negative integer`)
}

/** The owner and the balanced ranks of a partition, up to n (none for a Ring without ranks). */
function balancedPrefix (ring: Ring, partition: number, n: number): PeerId[] {
  if (ring.ranks === undefined) return []
  const prefix: PeerId[] = []
  for (const peer of [ring.owners[partition] ?? null, ...ring.ranks.map((layer) => layer[partition] ?? null)]) {
    if (prefix.length >= n) break
    if (peer !== null) prefix.push(peer)
  }
  return prefix
}

/**
 * The balanced prefix (balancedPrefix), then the zone-aware walk: first pass takes, in walk
 * order, peers of a zone not used yet; second pass fills up with the remaining distinct
 * peers in walk order. Each pass stops as soon as it can take no more, so a walk is short
 * unless the ring has fewer peers/zones than n.
 */
function computePreference (ring: Ring, partition: number, n: number, limits: WalkLimits): PeerId[] {
  const { q, owners } = ring
  const prefix = balancedPrefix(ring, partition, n)
  const target = Math.max(prefix.length, Math.min(n, limits.peers))
  if (prefix.length === target) return prefix
  const zoneTarget = Math.min(target, limits.zones)
  const first: PeerId[] = [...prefix]
  const chosen = new Set<PeerId>(prefix)
  const usedZones = new Set<string>(prefix.map((peer) => zoneOf(ring, peer)))
  for (let step = 0; step < q && first.length < zoneTarget; step++) {
    const owner = owners[(partition + step) % q] ?? null
    if (owner === null || chosen.has(owner)) continue
    const zone = zoneOf(ring, owner)
    if (usedZones.has(zone)) continue
    usedZones.add(zone)
    chosen.add(owner)
    first.push(owner)
  }
  const second: PeerId[] = []
  for (let step = 0; step < q && first.length + second.length < target; step++) {
    const owner = owners[(partition + step) % q] ?? null
    if (owner === null || chosen.has(owner)) continue
    chosen.add(owner)
    second.push(owner)
  }
  return [...first, ...second]
}

/**
 * The preference list of a partition: up to n distinct peers, zones spread first (see
 * computePreference). Shorter than n only if the ring has fewer owners. The result is
 * shared (memoized, frozen): do not mutate it.
 */
export function preferenceList (ring: Ring, partition: number, n: number): readonly PeerId[] {
  checkPartition(partition, ring.q)
  checkCount(n)
  if (ring instanceof MemoRing) return ring.preference(partition, n)
  return computePreference(ring, partition, n, walkLimits(ring))
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
  // Every peer's partitions at once, once per ring and n: each peer asks on every transfer
  // and anti-entropy pass, and the simulator's peers share rings (a scan of the q lists per
  // peer and pass cost the cluster size times q).
  // A hand-made Ring is plain data its maker may change: no memo for it.
  if (!(ring instanceof MemoRing)) return partitionsByPeer(ring, n).get(peer) ?? []
  let byN = replicaMemo.get(ring)
  if (byN === undefined) replicaMemo.set(ring, byN = new Map())
  let byPeer = byN.get(n)
  if (byPeer === undefined) byN.set(n, byPeer = partitionsByPeer(ring, n))
  return byPeer.get(peer)?.slice() ?? []
}

/** replicaPartitions of MemoRings (immutable) by ring, then n, then peer. */
const replicaMemo = new WeakMap<Ring, Map<number, ReadonlyMap<PeerId, number[]>>>()

function partitionsByPeer (ring: Ring, n: number): Map<PeerId, number[]> {
  const byPeer = new Map<PeerId, number[]>()
  for (let p = 0; p < ring.q; p++) {
    for (const owner of preferenceList(ring, p, n)) {
      let partitions = byPeer.get(owner)
      if (partitions === undefined) byPeer.set(owner, partitions = [])
      // A list names each peer once: p is pushed once per owner, in ascending order.
      partitions.push(p)
    }
  }
  return byPeer
}

/**
 * The peers that share a preference list (length n) with `peer`: those it replicates
 * with, and so exchanges anti-entropy, transfers and hints with. Empty for a peer that
 * replicates nothing. Memoized per MemoRing like replicaPartitions; shared: do not mutate.
 */
export function replicaNeighbours (ring: Ring, peer: PeerId, n: number): ReadonlySet<PeerId> {
  let byKey = neighbourMemo.get(ring)
  const key = `${n}\u0000${peer}`
  const known = byKey?.get(key)
  if (known !== undefined) return known
  const out = new Set<PeerId>()
  for (const p of replicaPartitions(ring, peer, n)) for (const other of preferenceList(ring, p, n)) if (other !== peer) out.add(other)
  if (ring instanceof MemoRing) {
    if (byKey === undefined) neighbourMemo.set(ring, byKey = new Map())
    byKey.set(key, out)
  }
  return out
}

/** replicaNeighbours of MemoRings by ring, then `${n}\0${peer}`: a peer asks on every lost connection. */
const neighbourMemo = new WeakMap<Ring, Map<string, ReadonlySet<PeerId>>>()
