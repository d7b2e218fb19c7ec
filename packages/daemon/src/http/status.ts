/**
 * GET /status (this peer, the members it knows, the ring, hints, keys) and the diagnostic
 * GET /replica/{key} (this peer's own copy of a key and the key's preference list, no
 * quorum: for operators and tests checking where data lives).
 */
import { partitionOf, preferenceList, siblings } from '@ringstore/core'
import type { Key } from '@ringstore/core'
import type { Peer } from '@ringstore/peer'

export interface StatusDeps {
  readonly peer: Peer
  readonly cluster: string
  /** The cluster id: a browser peer given it takes only members admitted by its authority. */
  readonly clusterId: string
  /** Our multiaddrs with /p2p/ suffix, as now announced. */
  readonly addrs: () => string[]
  /** Peers with a live libp2p connection now. */
  readonly connected: () => string[]
}

export function statusBody (deps: StatusDeps): unknown {
  const { peer } = deps
  const status = peer.status()
  const { q, n, r, w } = peer.config
  return {
    peerId: status.peerId,
    cluster: deps.cluster,
    clusterId: deps.clusterId,
    addrs: deps.addrs(),
    config: { q, n, r, w, weight: peer.config.weight, zone: peer.config.zone },
    members: status.members.map((m) => ({
      peerId: m.id,
      status: m.status,
      weight: m.weight,
      zone: m.zone,
      reachable: m.reachable,
      incarnation: m.incarnation,
      joinedAt: m.joinedAt,
      addrs: m.addrs
    })),
    connected: deps.connected().length,
    ring: status.ring,
    hintsPending: status.hintsPending,
    keys: status.keys
  }
}

export async function replicaBody (peer: Peer, key: Key): Promise<unknown> {
  const ring = peer.ring()
  const partition = partitionOf(key, ring.q)
  const owners = preferenceList(ring, partition, peer.config.n)
  const local = await peer.localGet(key)
  return {
    key,
    partition,
    preferenceList: owners,
    replicates: owners.includes(peer.id),
    found: local !== null,
    siblings: local === null
      ? []
      : siblings(local).map((s) => ({ value: s.value === null ? null : Buffer.from(s.value).toString('base64'), ts: s.ts }))
  }
}
