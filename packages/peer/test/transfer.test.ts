import { describe, it, expect } from 'vitest'
import { clockEqual, partitionOf, preferenceList, replicaPartitions } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Ring } from '@ringstore/core'
import type { PeerConfig } from '../src/config.js'
import { OwnershipTransfer } from '../src/cluster/transfer.js'
import { TRANSFER_DEBOUNCE_MS } from '../src/constants.js'
import { StorageReplicaStore } from '../src/data/replica-store.js'
import { settle } from '@ringstore/testkit'
import { StaticMembership, TestCluster, ringOf, valuesOf } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'

const Q = 16
const N = 2
const KEYS = Array.from({ length: 200 }, (_, i) => `key-${i}`)

interface Setup {
  cluster: TestCluster
  membership: StaticMembership
  nodes: Map<PeerId, TestNode>
  /** a, b own everything at first; then a leaves and b, c, d own it all. */
  after: Ring
}

async function setup (config: Partial<PeerConfig> = {}): Promise<Setup> {
  const cluster = new TestCluster({ q: Q, n: N, r: 1, w: 1, requestTimeoutMs: 200, ...config })
  const before = ringOf(['a', 'b'], Q)
  const after = ringOf(['b', 'c', 'd'], Q)
  const membership = new StaticMembership(before)
  const nodes = new Map<PeerId, TestNode>()
  for (const id of ['a', 'b', 'c', 'd']) {
    const node = cluster.add(id, { membership, ...(id === 'a' ? { config } : {}) })
    await cluster.startNetwork(node)
    nodes.set(id, node)
  }
  await settle()
  const a = nodes.get('a') as TestNode
  for (const key of KEYS) await a.replicas.write(key, `v-${key}`, 1)
  return { cluster, membership, nodes, after }
}

function node (s: Setup, id: PeerId): TestNode {
  return s.nodes.get(id) as TestNode
}

function ownersOf (ring: Ring, key: Key): readonly PeerId[] {
  return preferenceList(ring, partitionOf(key, Q), N)
}

describe('OwnershipTransfer', () => {
  it('moves every key to all its new owners, then drops it locally', async () => {
    const s = await setup()
    s.membership.setRing(s.after)
    const a = node(s, 'a')
    const result = await new OwnershipTransfer(a.deps).runOnce()
    expect(result).toEqual({ keysMoved: KEYS.length, keysDropped: KEYS.length })
    expect(a.replicas.size()).toBe(0)
    for (const key of KEYS) {
      for (const owner of ownersOf(s.after, key)) expect(valuesOf(await node(s, owner).replicas.get(key))).toEqual([`v-${key}`])
    }
    expect(a.deps.metrics.partitionsTransferred).toBe(new Set(KEYS.map((k) => partitionOf(k, Q))).size)
  })

  it('leaves partitions this peer still replicates alone', async () => {
    const s = await setup()
    const a = node(s, 'a')
    s.membership.setRing(ringOf(['a', 'b', 'c', 'd'], Q, (id) => id === 'a' ? 0 : 1))
    const kept = new Set(replicaPartitions(s.membership.ring(), 'a', N))
    const result = await new OwnershipTransfer(a.deps).runOnce()
    const stays = KEYS.filter((k) => kept.has(partitionOf(k, Q)))
    expect(stays.length).toBeGreaterThan(0)
    expect(result.keysDropped).toBe(KEYS.length - stays.length)
    expect([...a.replicas.data.keys()].sort()).toEqual(stays.sort())
  })

  it('keeps a partition whole while one of its owners is unreachable, and moves it once back', async () => {
    const s = await setup()
    s.membership.setRing(s.after)
    const a = node(s, 'a')
    s.cluster.hub.block('a', 'c')
    await settle()
    expect(a.deps.detector.isReachable('c')).toBe(false)
    await new OwnershipTransfer(a.deps).runOnce()
    const waiting = KEYS.filter((k) => ownersOf(s.after, k).includes('c'))
    expect(waiting.length).toBeGreaterThan(0)
    expect([...a.replicas.data.keys()].sort()).toEqual(waiting.sort())
    s.cluster.hub.unblock('a', 'c')
    await settle()
    await new OwnershipTransfer(a.deps).runOnce()
    expect(a.replicas.size()).toBe(0)
    for (const key of waiting) expect(await node(s, 'c').replicas.get(key)).not.toBeNull()
  })

  it('drops nothing of a batch that one owner refused', async () => {
    const s = await setup()
    s.membership.setRing(s.after)
    const a = node(s, 'a')
    node(s, 'd').intercept = async (_from, request) =>
      request.type === 'replica-put-many' ? { type: 'error', code: 'unavailable', message: 'disk full' } : undefined
    const result = await new OwnershipTransfer(a.deps).runOnce()
    const withD = KEYS.filter((k) => ownersOf(s.after, k).includes('d'))
    expect(withD.length).toBeGreaterThan(0)
    expect(result.keysDropped).toBe(KEYS.length - withD.length)
    expect([...a.replicas.data.keys()].sort()).toEqual(withD.sort())
    expect(a.deps.detector.isReachable('d')).toBe(true) // it answered: alive, just refusing
  })

  it('does not drop a key written while its batch was in flight', async () => {
    const s = await setup()
    s.membership.setRing(s.after)
    const a = node(s, 'a')
    let written: DvvSet | undefined
    a.replicas.beforeDrop = async (key) => {
      if (key !== 'key-5' || written !== undefined) return
      written = await a.replicas.write('key-5', 'during', 5, await a.replicas.get('key-5'))
    }
    const result = await new OwnershipTransfer(a.deps).runOnce()
    expect(result.keysDropped).toBe(KEYS.length - 1)
    expect(clockEqual(await a.replicas.get('key-5') as DvvSet, written as DvvSet)).toBe(true)
    a.replicas.beforeDrop = undefined
    const next = await new OwnershipTransfer(a.deps).runOnce()
    expect(next).toEqual({ keysMoved: 1, keysDropped: 1 })
    for (const owner of ownersOf(s.after, 'key-5')) expect(valuesOf(await node(s, owner).replicas.get('key-5'))).toEqual(['during'])
  })

  it('runs by itself after a ring change (debounced)', async () => {
    const s = await setup()
    const a = node(s, 'a')
    const transfer = new OwnershipTransfer(a.deps)
    transfer.start()
    await s.cluster.clock.advance(TRANSFER_DEBOUNCE_MS + 1)
    expect(a.replicas.size()).toBe(KEYS.length) // a still owns everything
    s.membership.setRing(s.after)
    s.membership.setRing(s.after) // a burst of changes makes one run
    await s.cluster.clock.advance(TRANSFER_DEBOUNCE_MS + 1)
    await settle()
    expect(a.replicas.size()).toBe(0)
    expect(a.deps.metrics.partitionsTransferred).toBe(new Set(KEYS.map((k) => partitionOf(k, Q))).size)
    transfer.stop()
  })

  it('a light peer (weight 0) keeps its local replica', async () => {
    const s = await setup({ weight: 0 })
    s.membership.setRing(s.after)
    const a = node(s, 'a')
    expect(await new OwnershipTransfer(a.deps).runOnce()).toEqual({ keysMoved: 0, keysDropped: 0 })
    expect(a.replicas.size()).toBe(KEYS.length)
  })
})

describe('OwnershipTransfer over the data path\'s StorageReplicaStore', () => {
  it('hands a real store\'s data off and empties it', async () => {
    const s = await setup()
    const stores = new Map<PeerId, StorageReplicaStore>()
    for (const [id, n] of s.nodes) {
      const store = new StorageReplicaStore({ id, storage: n.storage, config: n.deps.config, log: n.deps.log, metrics: n.deps.metrics })
      await store.open()
      n.deps.replicas = store
      stores.set(id, store)
    }
    const a = stores.get('a') as StorageReplicaStore
    for (const key of KEYS) await a.merge(key, await node(s, 'a').replicas.get(key) as DvvSet)
    s.membership.setRing(s.after)
    const result = await new OwnershipTransfer(node(s, 'a').deps).runOnce()
    expect(result).toEqual({ keysMoved: KEYS.length, keysDropped: KEYS.length })
    expect(a.size()).toBe(0)
    for (const key of KEYS) {
      for (const owner of ownersOf(s.after, key)) expect(valuesOf(await stores.get(owner)?.get(key))).toEqual([`v-${key}`])
    }
  })
})
