import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { MERKLE_DEFAULTS, clockEqual, emptyClock, partitionOf, sync, update } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import { AntiEntropy } from '../src/cluster/anti-entropy.js'
import { AE_ROOTS_PER_REQUEST } from '../src/constants.js'
import { StorageReplicaStore } from '../src/data/replica-store.js'
import { settle } from '@ringstore/testkit'
import { StaticMembership, TestCluster, recordRequests, ringOf, valuesOf } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'

const Q = 16

async function cluster (ids: PeerId[], n = ids.length, q = Q): Promise<{ cluster: TestCluster, nodes: TestNode[] }> {
  const c = new TestCluster({ q, n, r: 1, w: 1, requestTimeoutMs: 200 })
  const membership = new StaticMembership(ringOf(ids, q))
  const nodes = ids.map((id) => c.add(id, { membership }))
  for (const node of nodes) await c.startNetwork(node)
  await settle()
  return { cluster: c, nodes }
}

/** The same version of `key` on every node (a write on the first, merged into the others). */
async function writeEverywhere (nodes: TestNode[], key: Key, value: string): Promise<DvvSet> {
  const [first, ...rest] = nodes as [TestNode, ...TestNode[]]
  const clock = await first.replicas.write(key, value, 1)
  for (const node of rest) await node.replicas.merge(key, clock)
  return clock
}

function snapshot (node: TestNode): Map<Key, DvvSet> {
  return new Map([...node.replicas.data].sort(([a], [b]) => a < b ? -1 : 1))
}

/** A peer of an older version: it does not know 'ae-roots' and says so, as the codec would. */
function refuseRoots (node: TestNode): void {
  node.intercept = async (_from, request) => request.type === 'ae-roots'
    ? { type: 'error', code: 'bad-request', message: 'invalid request frame: request.type' }
    : undefined
}

function expectSameData (a: TestNode, b: TestNode): void {
  const da = snapshot(a)
  const db = snapshot(b)
  expect([...da.keys()]).toEqual([...db.keys()])
  for (const [key, clock] of da) expect(clockEqual(clock, db.get(key) as DvvSet)).toBe(true)
  for (let p = 0; p < Q; p++) expect(a.replicas.tree(p).root()).toEqual(b.replicas.tree(p).root())
}

describe('AntiEntropy', () => {
  it('identical partitions cost one ae-roots request per chunk of partitions per other replica, and nothing else', async () => {
    const { nodes } = await cluster(['a', 'b', 'c'])
    for (let i = 0; i < 300; i++) await writeEverywhere(nodes, `key-${i}`, `v${i}`)
    const a = nodes[0] as TestNode
    const sent = recordRequests(a)
    const result = await new AntiEntropy(a.deps).runRound()
    expect(result).toEqual({ partitions: Q, keysRepaired: 0 })
    expect(sent.filter((m) => m.type === 'ae-roots')).toHaveLength(2)
    expect(sent).toHaveLength(2)
    expect(a.deps.metrics.antiEntropyRounds).toBe(1)
  })

  it('an idle round over 1024 partitions costs ceil(partitions / AE_ROOTS_PER_REQUEST) requests per other replica', async () => {
    const q = 1024
    const { nodes } = await cluster(['a', 'b', 'c'], 3, q)
    for (let i = 0; i < 2000; i++) await writeEverywhere(nodes, `key-${i}`, `v${i}`)
    const a = nodes[0] as TestNode
    const sent = recordRequests(a)
    expect(await new AntiEntropy(a.deps).runRound()).toEqual({ partitions: q, keysRepaired: 0 })
    const perPeer = Math.ceil(q / AE_ROOTS_PER_REQUEST)
    expect(perPeer).toBeLessThanOrEqual(q / 32)
    for (const peer of ['b', 'c']) expect(sent.filter((m) => m.to === peer)).toEqual(Array(perPeer).fill({ to: peer, type: 'ae-roots' }))
    // One differing partition: walked alone, and repaired.
    await (nodes[1] as TestNode).replicas.write('late', 'x', 2)
    sent.length = 0
    expect((await new AntiEntropy(a.deps).runRound()).keysRepaired).toBe(1)
    expect(sent.filter((m) => m.type === 'ae-roots')).toHaveLength(2 * perPeer)
    expect(sent.filter((m) => m.type === 'ae-nodes' && m.to === 'c')).toHaveLength(0)
    expect(sent.filter((m) => m.type === 'ae-nodes' && m.to === 'b')).toHaveLength(MERKLE_DEFAULTS.depth + 1)
    expect(sent.filter((m) => m.type === 'ae-buckets')).toHaveLength(1)
    expect(valuesOf(await a.replicas.get('late'))).toEqual(['x'])
  })

  it('a partition with no tree on one side and an emptied tree on the other is equal: not walked', async () => {
    const { nodes } = await cluster(['a', 'b'])
    const [a, b] = nodes as [TestNode, TestNode]
    const clock = await a.replicas.write('gone', 'v', 1)
    expect(await a.replicas.dropIfUnchanged('gone', clock)).toBe(true)
    expect(a.replicas.tree(partitionOf('gone', Q)).size).toBe(0)
    const sent = recordRequests(a)
    expect(await new AntiEntropy(a.deps).runRound()).toEqual({ partitions: Q, keysRepaired: 0 })
    expect(sent).toEqual([{ to: 'b', type: 'ae-roots' }])
    expect(await b.replicas.get('gone')).toBeNull()
  })

  it('falls back to walking every partition with a peer that refuses ae-roots, and still repairs', async () => {
    const { nodes } = await cluster(['a', 'c'])
    const [a, c] = nodes as [TestNode, TestNode]
    for (let i = 0; i < 200; i++) await writeEverywhere(nodes, `key-${i}`, `v${i}`)
    await a.replicas.write('only-a', 'x', 2)
    await c.replicas.write('only-c', 'z', 2)
    refuseRoots(c)
    const sent = recordRequests(a)
    expect(await new AntiEntropy(a.deps).runRound()).toEqual({ partitions: Q, keysRepaired: 2 })
    // One refused ae-roots, then every partition walked from its root, as before ae-roots.
    expect(sent.filter((m) => m.type === 'ae-roots')).toHaveLength(1)
    const touched = new Set([partitionOf('only-a', Q), partitionOf('only-c', Q)])
    expect(sent.filter((m) => m.type === 'ae-nodes')).toHaveLength(Q + touched.size * MERKLE_DEFAULTS.depth)
    expectSameData(a, c)
    expect((await new AntiEntropy(a.deps).runRound()).keysRepaired).toBe(0)
  })

  it('uses ae-roots with the peers that know it and walks the others', async () => {
    const { nodes } = await cluster(['a', 'b', 'c'])
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    for (let i = 0; i < 200; i++) await writeEverywhere(nodes, `key-${i}`, `v${i}`)
    await b.replicas.write('only-b', 'y', 2)
    refuseRoots(c)
    const sent = recordRequests(a)
    expect((await new AntiEntropy(a.deps).runRound()).keysRepaired).toBeGreaterThanOrEqual(1)
    expect(sent.filter((m) => m.to === 'b' && m.type === 'ae-roots')).toHaveLength(1)
    expect(sent.filter((m) => m.to === 'b' && m.type === 'ae-nodes')).toHaveLength(MERKLE_DEFAULTS.depth + 1)
    expect(sent.filter((m) => m.to === 'c' && m.type === 'ae-roots')).toHaveLength(1)
    expect(sent.filter((m) => m.to === 'c' && m.type === 'ae-nodes').length).toBeGreaterThanOrEqual(Q)
    // Whatever order the exchanges ran in, a second round leaves the three equal.
    await new AntiEntropy(a.deps).runRound()
    expectSameData(a, b)
    expectSameData(a, c)
    expect(valuesOf(await c.replicas.get('only-b'))).toEqual(['y'])
  })

  it('repairs exactly the differing keys, and both sides are equal after one exchange', async () => {
    const { nodes } = await cluster(['a', 'b'])
    const [a, b] = nodes as [TestNode, TestNode]
    for (let i = 0; i < 500; i++) await writeEverywhere(nodes, `key-${i}`, `v${i}`)
    await a.replicas.write('only-a-1', 'x', 2)
    await a.replicas.write('only-a-2', 'x', 2)
    await b.replicas.write('only-b-1', 'y', 2)
    const shared = await b.replicas.get('key-7') as DvvSet
    await b.replicas.write('key-7', 'newer', 3, shared) // b saw a's version and overwrote it
    const differing = ['key-7', 'only-a-1', 'only-a-2', 'only-b-1'].sort()
    const fetched: Key[] = []
    b.intercept = async (_from, request) => {
      if (request.type === 'replica-get-many') fetched.push(...request.keys)
      return undefined
    }
    const sent = recordRequests(a)
    const result = await new AntiEntropy(a.deps).runRound()
    expect(result.keysRepaired).toBe(differing.length)
    expect(fetched.sort()).toEqual(differing)
    expect(a.deps.metrics.antiEntropyKeysRepaired).toBe(differing.length)
    expectSameData(a, b)
    expect(valuesOf(await a.replicas.get('key-7'))).toEqual(['newer'])
    // Only partitions holding a differing key went past the root.
    const touched = new Set(differing.map((k) => partitionOf(k, Q)))
    const bucketRequests = sent.filter((m) => m.type === 'ae-buckets')
    expect(bucketRequests).toHaveLength(touched.size)
    expect(sent.filter((m) => m.type === 'ae-roots')).toHaveLength(1)
    expect(sent.filter((m) => m.type === 'ae-nodes')).toHaveLength(touched.size * (MERKLE_DEFAULTS.depth + 1))
    // A second round finds nothing.
    expect((await new AntiEntropy(a.deps).runRound()).keysRepaired).toBe(0)
  })

  it('keeps concurrent siblings from both sides (merge, not overwrite)', async () => {
    const { nodes } = await cluster(['a', 'b'])
    const [a, b] = nodes as [TestNode, TestNode]
    await a.replicas.write('cart', 'apple', 10)
    await b.replicas.write('cart', 'pear', 11)
    await new AntiEntropy(b.deps).runRound()
    expect(valuesOf(await a.replicas.get('cart'))).toEqual(['apple', 'pear'])
    expectSameData(a, b)
  })

  it('skips an unresponsive replica, reports it to the detector, and still repairs the others', async () => {
    const { cluster: c, nodes } = await cluster(['a', 'b', 'c'])
    const [a, b, cc] = nodes as [TestNode, TestNode, TestNode]
    await a.replicas.write('k', 'v', 1)
    c.hub.stall('a', 'c')
    await settle()
    const round = new AntiEntropy(a.deps).runRound()
    await c.clock.advance(1000)
    const result = await round
    expect(result.keysRepaired).toBe(1)
    expect(valuesOf(await b.replicas.get('k'))).toEqual(['v'])
    expect(await cc.replicas.get('k')).toBeNull()
    expect(a.deps.detector.isReachable('c')).toBe(false)
    // The next round does not even ask c.
    const sent = recordRequests(a)
    await new AntiEntropy(a.deps).runRound()
    expect(sent.filter((m) => m.to === 'c')).toHaveLength(0)
  })

  it('fetches large differences in bounded batches', async () => {
    const { nodes } = await cluster(['a', 'b'])
    const [a, b] = nodes as [TestNode, TestNode]
    for (let i = 0; i < 3000; i++) await a.replicas.write(`bulk-${i}`, 'v', 1)
    let largest = 0
    b.intercept = async (_from, request) => {
      if (request.type === 'replica-get-many') largest = Math.max(largest, request.keys.length)
      if (request.type === 'replica-put-many') largest = Math.max(largest, request.items.length)
      return undefined
    }
    const result = await new AntiEntropy(a.deps).runRound()
    expect(result.keysRepaired).toBe(3000)
    expect(largest).toBeGreaterThan(0)
    expect(largest).toBeLessThanOrEqual(1024)
    expectSameData(a, b)
  })

  it('property: after one exchange both replicas hold the merge of both sides', async () => {
    const keyArb = fc.integer({ min: 0, max: 60 }).map((i) => `k${i}`)
    const op = fc.record({ side: fc.constantFrom<0 | 1 | 2>(0, 1, 2), key: keyArb, value: fc.constantFrom('x', 'y', null) })
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
      const { nodes } = await cluster(['a', 'b'])
      const [a, b] = nodes as [TestNode, TestNode]
      let ts = 1
      for (const { side, key, value } of ops) {
        if (side === 2) {
          // A write both sides have (then maybe diverging further).
          await writeEverywhere(nodes, key, value ?? 'both')
        } else {
          const node = side === 0 ? a : b
          await node.replicas.write(key, value, ts++, await node.replicas.get(key))
        }
      }
      const keys = new Set([...a.replicas.data.keys(), ...b.replicas.data.keys()])
      const expected = new Map<Key, DvvSet>()
      let differing = 0
      for (const key of keys) {
        const x = a.replicas.data.get(key)
        const y = b.replicas.data.get(key)
        if (x === undefined || y === undefined || !clockEqual(x, y)) differing++
        expected.set(key, x === undefined ? y as DvvSet : y === undefined ? x : sync(x, y))
      }
      const result = await new AntiEntropy(a.deps).runRound()
      expect(result.keysRepaired).toBe(differing)
      for (const [key, clock] of expected) {
        expect(clockEqual(a.replicas.data.get(key) as DvvSet, clock)).toBe(true)
        expect(clockEqual(b.replicas.data.get(key) as DvvSet, clock)).toBe(true)
      }
      expectSameData(a, b)
    }), { numRuns: 60 })
  })
})

describe('AntiEntropy over the data path\'s StorageReplicaStore', () => {
  it('repairs two real stores to equal contents, siblings kept', async () => {
    const { nodes } = await cluster(['a', 'b'])
    const stores = await Promise.all(nodes.map(async (node) => {
      const store = new StorageReplicaStore({ id: node.id, storage: node.storage, config: node.deps.config, log: node.deps.log, metrics: node.deps.metrics })
      await store.open()
      node.deps.replicas = store
      return store
    }))
    const [sa, sb] = stores as [StorageReplicaStore, StorageReplicaStore]
    const put = async (store: StorageReplicaStore, key: Key, value: string, ts: number): Promise<void> => {
      const staged = await store.stage(key, (current, actor) => ({ next: update(current ?? emptyClock(), [], { value: new TextEncoder().encode(value), ts }, actor) }))
      await staged.durable
    }
    for (let i = 0; i < 100; i++) await put(sa, `a-${i}`, 'x', 1)
    for (let i = 0; i < 50; i++) await put(sb, `b-${i}`, 'y', 2)
    await put(sa, 'both', 'from-a', 3)
    await put(sb, 'both', 'from-b', 4)
    const result = await new AntiEntropy((nodes[0] as TestNode).deps).runRound()
    expect(result.keysRepaired).toBe(151)
    const contents = async (store: StorageReplicaStore): Promise<Array<[Key, string[]]>> => {
      const out: Array<[Key, string[]]> = []
      for await (const [key, clock] of store.entries()) out.push([key, valuesOf(clock)])
      return out
    }
    expect(await contents(sa)).toEqual(await contents(sb))
    expect(valuesOf(await sa.get('both'))).toEqual(['from-a', 'from-b'])
    expect(sa.size()).toBe(151)
    expect((await new AntiEntropy((nodes[1] as TestNode).deps).runRound()).keysRepaired).toBe(0)
  })
})
