/**
 * Where a key lives right now: its partition, its preference list (the primaries) and the
 * sloppy placements for the peers this peer currently believes reachable (itself always).
 */
import { partitionOf, preferenceList, sloppyPreferenceList } from '@ringstore/core'
import type { Key, PeerId, Placement, Ring } from '@ringstore/core'
import type { FailureDetector, MembershipView } from '../components.js'
import type { PeerConfig } from '../config.js'

export interface PlacementDeps {
  readonly id: PeerId
  readonly membership: Pick<MembershipView, 'ring'>
  readonly detector: Pick<FailureDetector, 'isReachable'>
}

export interface KeyPlacement {
  readonly ring: Ring
  readonly partition: number
  readonly preference: readonly PeerId[]
  readonly placements: readonly Placement[]
}

/**
 * `silent`: peers to treat as unreachable for this one placement besides what the failure
 * detector says (a forwarder's report that a primary did not answer it; see coordinate-put).
 * Not fed into the detector: one peer's word is enough to route one put around, not to
 * mark a peer down for everyone.
 */
export function placeKey (ctx: PlacementDeps, key: Key, n: number, silent: readonly PeerId[] = []): KeyPlacement {
  const ring = ctx.membership.ring()
  const partition = partitionOf(key, ring.q)
  const reachable = (peer: PeerId): boolean => peer === ctx.id || (ctx.detector.isReachable(peer) && !silent.includes(peer))
  return {
    ring,
    partition,
    preference: preferenceList(ring, partition, n),
    placements: sloppyPreferenceList(ring, partition, n, reachable)
  }
}

/** A light peer (weight 0) owns no partition but keeps a local replica of what it reads and writes. */
export function isLight (config: Pick<PeerConfig, 'weight'>): boolean {
  return config.weight === 0
}
