/**
 * GET /status (this peer, the members it knows with their admission, the ring and its
 * balance, hints, keys; what `ringstore status` prints) and the diagnostic
 * GET /replica/{key} (this peer's own copy of a key and the key's preference list, no
 * quorum: for operators and tests checking where data lives).
 */
import { partitionOf, preferenceList, siblings } from '@ringstore/core'
import { daemonDialable } from '@ringstore/net-libp2p'
import type { Admission, Key, PeerId } from '@ringstore/core'
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
  /** The certificate each member's record carries (Peer.admissionOf); ours included. */
  readonly admissions: { get (peer: PeerId): Admission | undefined }
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
      // With joinedAt, what the ring is folded from (core's ringEvents): a tool can rebuild the ring.
      ...(m.leftAt === undefined ? {} : { leftAt: m.leftAt }),
      // A member that left and rejoined: its earlier stints are ring events too.
      ...(m.stints === undefined ? {} : { stints: m.stints }),
      addrs: m.addrs,
      // The engine takes a record into its table, in a cluster with an id (every daemon's:
      // closed by default), only with a certificate of that cluster's authority that fits
      // it (packages/peer cluster/membership.ts): every member listed here was admitted.
      admitted: true,
      admission: admissionBody(deps.admissions.get(m.id))
    })),
    connected: deps.connected().length,
    ring: { ...status.ring, partitionsPerMember: spread(status.ring.members) },
    hintsPending: status.hintsPending,
    storageFull: status.storageFull,
    hintsByTarget: status.hintsByTarget,
    // The hint store's bounds and what they did (peer data/hint-store.ts, cluster/hint-expiry.ts).
    hintBytes: status.hintBytes,
    hintBytesByTarget: status.hintBytesByTarget,
    hintQuota: status.hintQuota,
    hintsRefused: { ...status.metrics.hintsRefused },
    hintsExpired: status.metrics.hintsExpired,
    keys: status.keys,
    // Reads that met a corrupt stored record (never served; repaired from the other replicas).
    corruptRecords: status.metrics.corruptRecords,
    // The background throttle (peer cluster/background-throttle.ts): pressure > 1 slows background work.
    background: status.background
  }
}

/** The certificate's fields, or null when none was seen yet (a member silent since we started). */
function admissionBody (admission: Admission | undefined): Admission | null {
  if (admission === undefined) return null
  const { cluster, peer, maxWeight, zone, issuedAt } = admission
  return { cluster, peer, maxWeight, zone, issuedAt }
}

/**
 * Partitions per owning member (weight > 0: a light peer owns nothing by design), to see
 * the balance at a glance; null when nobody owns anything yet.
 */
function spread (members: ReadonlyArray<{ weight: number, partitions: number }>): { min: number, max: number, mean: number } | null {
  const counts = members.filter((m) => m.weight > 0).map((m) => m.partitions)
  if (counts.length === 0) return null
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length
  return { min: Math.min(...counts), max: Math.max(...counts), mean: Math.round(mean * 100) / 100 }
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

/**
 * GET /bootstrap, open to anyone who can reach the daemon: what the demo page needs to
 * start a browser peer (the WebSocket multiaddrs, the cluster's name and id, q/n/r/w),
 * and the TCP multiaddrs a Node client dials (Node 20 has no WebSocket to dial with).
 * All of it is public anyway (a client learns it from the members' records on
 * connecting); no member table, no data, no secret.
 */
export function bootstrapBody (deps: Pick<StatusDeps, 'peer' | 'cluster' | 'clusterId' | 'addrs'>): unknown {
  const { q, n, r, w } = deps.peer.config
  return {
    cluster: deps.cluster,
    clusterId: deps.clusterId,
    addrs: deps.addrs().filter((a) => /\/wss?(\/|$)/.test(a)),
    tcpAddrs: deps.addrs().filter(daemonDialable),
    config: { q, n, r, w }
  }
}
