/**
 * Who can reach whom: the partition state of the simulated network. Directional, so that
 * asymmetric faults (A hears B but B does not hear A) can be expressed; the helpers build
 * the usual symmetric shapes (TigerBeetle's partition modes: isolate one, split in groups).
 */
import type { PeerId } from '@ringstore/core'

/** `canReach(from, to)`: a packet sent by `from` arrives at `to`. */
export type Reachability = (from: PeerId, to: PeerId) => boolean

export const fullyConnected: Reachability = () => true

/**
 * Split the network into groups; peers in the same group reach each other, nobody reaches
 * across. Peers named in no group form one more group together (so `partitionGroups([[a]])`
 * isolates `a` from everyone else). A peer always reaches itself.
 */
export function partitionGroups (groups: ReadonlyArray<readonly PeerId[]>): Reachability {
  const groupOf = new Map<PeerId, number>()
  groups.forEach((group, index) => {
    for (const peer of group) {
      if (groupOf.has(peer)) throw new RangeError(`peer ${peer} appears in two partition groups`)
      groupOf.set(peer, index)
    }
  })
  return (from, to) => from === to || (groupOf.get(from) ?? -1) === (groupOf.get(to) ?? -1)
}

/** `peer` reaches nobody and nobody reaches it; everyone else is connected. */
export function isolatePeer (peer: PeerId): Reachability {
  return (from, to) => from === to || (from !== peer && to !== peer)
}

/** Packets from `from` to `to` are dropped; the other direction still flows. */
export function oneWayCut (cutFrom: PeerId, cutTo: PeerId): Reachability {
  return (from, to) => !(from === cutFrom && to === cutTo)
}

/** Both directions must flow for a connection to stay up. */
export function mutuallyReachable (reach: Reachability, a: PeerId, b: PeerId): boolean {
  return reach(a, b) && reach(b, a)
}
