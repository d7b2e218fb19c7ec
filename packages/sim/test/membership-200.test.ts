/**
 * Membership at scale: 200 peers join through two seeds on the simulated network, and the
 * member tables and rings converge: every peer lists all 200 as active members, and every
 * peer's ring assigns every partition to the same owner. No workload: the cost is the
 * engine's membership path itself (gossip, pulls, ring rebuilds).
 */
import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/cluster.js'
import { Rng } from '../src/rng.js'

const PEERS = 200
// S ≤ Q/16 keeps every member's share at 16 partitions or more; 4096 is the smallest power
// of two that allows 200 members.
const Q = 4096

describe('a 200-peer cluster', () => {
  it('converges: every member table lists all 200, every ring is the same', async () => {
    const cluster = new SimCluster({
      peers: PEERS,
      rng: Rng.fromSeed(200),
      // Slower heartbeats: each one is gossiped to 199 peers.
      config: { q: Q, heartbeatIntervalMs: 2_000 },
      // Connections open on demand as with libp2p: a full mesh would have every peer pull
      // every other's table on connect (40k pulls).
      network: { mesh: 'lazy' },
      // The joins are what this measures: not the warm start a cluster this size gets by default.
      start: 'cold'
    })
    expect(await cluster.start(60_000, 100)).toBe(true)
    const ids = cluster.nodes.map((n) => n.id).sort()
    const reference = cluster.peer(0).ring()
    expect(reference.members.size).toBe(PEERS)
    for (const node of cluster.nodes) {
      const status = node.peer.status()
      expect(status.members.filter((m) => m.status === 'active').map((m) => m.id).sort()).toEqual(ids)
      expect(node.peer.ring().owners).toEqual(reference.owners)
    }
    // Every member owns a share, as the weights say (all weights 1: within one partition of Q/S).
    const shares = cluster.peer(0).status().ring.members.map((m) => m.partitions)
    expect(Math.min(...shares)).toBeGreaterThanOrEqual(Math.floor(Q / PEERS))
    expect(Math.max(...shares)).toBeLessThanOrEqual(Math.ceil(Q / PEERS))
    expect(cluster.faults).toEqual([])
    expect(cluster.errorLogs).toEqual([])
  })
})
