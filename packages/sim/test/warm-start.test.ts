/**
 * A warm start (warm-start.ts): past WARM_START_MIN_PEERS the cluster starts as one that
 * restarts, every peer's disk holding the member table already. No table crosses the wire
 * (a cold start pulls the seeds' view once per newcomer), no peer learns a record it did not
 * hold (it persists no member record but its own), and every table and ring agree
 * the moment the last peer started. --cold-start keeps the joins.
 */
import { describe, expect, it } from 'vitest'
import type { PeerId } from '@ringstore/core'
import type { Storage } from '@ringstore/peer'
import { SimCluster } from '../src/cluster.js'
import type { SimClusterOptions } from '../src/cluster.js'
import { WARM_START_MIN_PEERS } from '../src/constants.js'
import { createPeer } from '../src/peer-handle.js'
import type { PeerFactory } from '../src/peer-handle.js'
import { Rng } from '../src/rng.js'
import { runSeed } from '../src/run.js'

/** Past WARM_START_MIN_PEERS (checked below): the default start is warm. */
const PEERS = 60
const TABLE_PULLS = ['members-view', 'members-pull']

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

interface Started {
  readonly cluster: SimCluster
  /** Virtual time at which the last peer's start resolved. */
  readonly lastStartedAt: number
}

async function start (options: Partial<SimClusterOptions> = {}): Promise<Started> {
  let lastStartedAt = -1
  const cluster: SimCluster = new SimCluster({
    peers: PEERS,
    rng: Rng.fromSeed(5),
    trace: (line) => { if (line.includes(' started ')) lastStartedAt = cluster.scheduler.now },
    ...options
  })
  expect(await cluster.start()).toBe(true)
  return { cluster, lastStartedAt }
}

function tablePulls (cluster: SimCluster): number {
  return TABLE_PULLS.reduce((sum, type) => sum + (cluster.hub.stats.requests.get(type) ?? 0), 0)
}

describe(`a cluster of ${PEERS} peers starts warm`, () => {
  it('pulls no table, and every table and ring agree as the last peer starts', async () => {
    const { cluster, lastStartedAt } = await start()
    expect(tablePulls(cluster)).toBe(0)
    expect(PEERS).toBeGreaterThanOrEqual(WARM_START_MIN_PEERS)
    expect(cluster.warmStart).toBe(true)
    // Membership had nothing left to spread: converged the moment the last start resolved.
    expect(cluster.scheduler.now).toBe(lastStartedAt)
    const ids = cluster.nodes.map((n) => n.id).sort()
    const owners = cluster.peer(0).ring().owners
    for (const node of cluster.nodes) {
      const members = node.peer.status().members
      expect(members.map((m) => m.id).sort()).toEqual(ids)
      // Each restarted once: the record every other peer already held.
      expect(members.every((m) => m.status === 'active' && m.incarnation === 1)).toBe(true)
      expect(node.peer.ring().owners).toEqual(owners)
    }
    expect(cluster.faults).toEqual([])
    expect(cluster.errorLogs).toEqual([])
    // The ring routes: a write lands on its replicas and reads back from another peer.
    const put = await cluster.scheduler.drive(cluster.peer(3).put('k', bytes('warm'), { w: 3 }), 5_000)
    expect(put.acks).toBe(3)
    const read = await cluster.scheduler.drive(cluster.peer(PEERS - 1).get('k', { r: 3 }), 5_000)
    expect(read.values.map(text)).toEqual(['warm'])
  })

  it('persists no record a peer did not hold: each writes only its own', async () => {
    // Member records each peer writes to its disk while starting, other than its own.
    const learnt = new Map<PeerId, number>()
    const counting: PeerFactory = (options) => {
      const id = options.addrs?.[0] ?? '' // SimCluster dials each peer by its id
      return createPeer({ ...options, storage: countingStorage(options.storage, id) })
    }
    function countingStorage (storage: Storage, id: PeerId): Storage {
      return {
        get: async (ns, key) => await storage.get(ns, key),
        getMany: async (ns, keys) => await storage.getMany(ns, keys),
        scan: (ns, range) => storage.scan(ns, range),
        close: async () => { await storage.close() },
        // Not async before the write: it takes its place in the fsync queue when issued.
        write: (ops) => {
          const others = ops.filter((op) => op.key.startsWith('member/') && op.key !== `member/${id}`).length
          if (others > 0) learnt.set(id, (learnt.get(id) ?? 0) + others)
          return storage.write(ops)
        }
      }
    }
    await start({ peerFactory: counting })
    expect([...learnt]).toEqual([])
  })

  it('in an admitted cluster too: each peer holds an admission and the tables agree', async () => {
    const { cluster } = await start({ authority: 'sim-authority' })
    expect(cluster.nodes.every((n) => n.admission?.admission.cluster === 'sim-authority')).toBe(true)
    expect(tablePulls(cluster)).toBe(0)
    for (const node of cluster.nodes) expect(node.peer.status().members.filter((m) => m.status === 'active')).toHaveLength(PEERS)
    expect(cluster.errorLogs).toEqual([])
  })

  it('a cold start joins every peer through the seeds: a table pull per newcomer', async () => {
    const { cluster } = await start({ start: 'cold' })
    expect(tablePulls(cluster)).toBeGreaterThanOrEqual(PEERS - 1)
    for (const node of cluster.nodes) expect(node.peer.status().members.every((m) => m.incarnation === 0)).toBe(true)
    expect(cluster.warmStart).toBe(false)
  })

  it('a warm run gives the same result for the same seed', async () => {
    const options = { peers: PEERS, ops: 40, faults: 'light' as const }
    const first = await runSeed(11, options)
    const second = await runSeed(11, options)
    expect(first.violations).toEqual([])
    expect(JSON.stringify(second)).toBe(JSON.stringify(first))
    // The start pulled no table (the light faults' restarts pull none either: they restart).
    expect(first.requests['members-view'] ?? 0).toBe(0)
  }, 60_000)
})
