import { describe, it, expect } from 'vitest'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import { AntiEntropy } from '../src/cluster/anti-entropy.js'
import { TombstoneCollector } from '../src/cluster/tombstone-gc.js'
import { settle } from '@ringstore/testkit'
import { StaticMembership, TestCluster, ringOf, valuesOf } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'

const Q = 8
const GRACE_MS = 10_000

async function setup (): Promise<{ cluster: TestCluster, a: TestNode, b: TestNode, c: TestNode }> {
  const cluster = new TestCluster({ q: Q, n: 3, r: 1, w: 1, requestTimeoutMs: 200, tombstoneGraceMs: GRACE_MS })
  const membership = new StaticMembership(ringOf(['a', 'b', 'c'], Q))
  const nodes = ['a', 'b', 'c'].map((id) => cluster.add(id, { membership }))
  for (const node of nodes) await cluster.startNetwork(node)
  await settle()
  const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
  return { cluster, a, b, c }
}

/** `key` written then deleted on `writer`; the value goes to `valueOn`, the delete to `deleteOn`. */
async function writeThenDelete (s: { cluster: TestCluster }, writer: TestNode, key: Key, valueOn: TestNode[], deleteOn: TestNode[]): Promise<DvvSet> {
  const written = await writer.replicas.write(key, 'value', s.cluster.clock.now())
  for (const node of valueOn) await node.replicas.merge(key, written)
  const tombstone = await writer.replicas.write(key, null, s.cluster.clock.now(), written)
  for (const node of deleteOn) await node.replicas.merge(key, tombstone)
  return tombstone
}

function gc (node: TestNode): TombstoneCollector {
  return new TombstoneCollector(node.deps)
}

describe('TombstoneCollector', () => {
  it('waits for the grace period, then collects a tombstone every replica holds', async () => {
    const s = await setup()
    const { a, b, c } = s
    await writeThenDelete(s, a, 'gone', [b, c], [b, c])
    expect(await gc(a).runOnce()).toBe(0)
    await s.cluster.clock.advance(GRACE_MS - 1)
    expect(await gc(a).runOnce()).toBe(0)
    await s.cluster.clock.advance(2)
    expect(await gc(a).runOnce()).toBe(1)
    expect(await a.replicas.get('gone')).toBeNull()
    expect(a.deps.metrics.tombstonesCollected).toBe(1)
  })

  it('never collects while one replica still holds the old value, and does once it got the delete', async () => {
    const s = await setup()
    const { a, b, c } = s
    await writeThenDelete(s, a, 'gone', [b, c], [b]) // c missed the delete
    await s.cluster.clock.advance(GRACE_MS * 10)
    expect(await gc(a).runOnce()).toBe(0)
    expect(await gc(b).runOnce()).toBe(0)
    expect(valuesOf(await a.replicas.get('gone'))).toEqual(['<tombstone>'])
    // Anti-entropy, not resurrection: the tombstone carries the delete to c.
    await new AntiEntropy(a.deps).runRound()
    expect(valuesOf(await c.replicas.get('gone'))).toEqual(['<tombstone>'])
    expect(await gc(a).runOnce()).toBe(1)
  })

  it('keeps the tombstone while a replica is unreachable or silent', async () => {
    const s = await setup()
    const { a, b, c } = s
    await writeThenDelete(s, a, 'gone', [b, c], [b, c])
    await s.cluster.clock.advance(GRACE_MS * 2)
    s.cluster.hub.block('a', 'c')
    await settle()
    expect(await gc(a).runOnce()).toBe(0)
    s.cluster.hub.stall('a', 'c')
    a.deps.detector.reportSuccess('c') // believed reachable, but it will not answer
    const run = gc(a).runOnce()
    await s.cluster.clock.advance(1000)
    expect(await run).toBe(0)
    expect(await a.replicas.get('gone')).not.toBeNull()
  })

  it('keeps a tombstone that has a live concurrent sibling, or a different version elsewhere', async () => {
    const s = await setup()
    const { a, b, c } = s
    await writeThenDelete(s, a, 'mixed', [b, c], [b, c])
    await a.replicas.write('mixed', 'concurrent', s.cluster.clock.now()) // no context: a sibling
    await writeThenDelete(s, a, 'other', [b, c], [b, c])
    const newer = await b.replicas.write('other', null, s.cluster.clock.now(), await b.replicas.get('other'))
    await c.replicas.merge('other', newer) // b and c hold a newer tombstone than a
    await s.cluster.clock.advance(GRACE_MS * 2)
    expect(await gc(a).runOnce()).toBe(0)
    expect(valuesOf(await a.replicas.get('mixed'))).toEqual(['<tombstone>', 'concurrent'])
  })

  it('collects on every replica in turn (a replica that already collected counts as agreeing) without resurrection', async () => {
    const s = await setup()
    const { a, b, c } = s
    const keys = ['t1', 't2', 't3']
    for (const key of keys) await writeThenDelete(s, a, key, [b, c], [b, c])
    await s.cluster.clock.advance(GRACE_MS * 2)
    expect(await gc(a).runOnce()).toBe(3)
    expect(await gc(b).runOnce()).toBe(3)
    expect(await gc(c).runOnce()).toBe(3)
    for (const node of [a, b, c]) {
      await new AntiEntropy(node.deps).runRound()
      expect(node.replicas.size()).toBe(0)
    }
  })

  it('does not drop a tombstone overwritten during the check', async () => {
    const s = await setup()
    const { a, b, c } = s
    await writeThenDelete(s, a, 'gone', [b, c], [b, c])
    await s.cluster.clock.advance(GRACE_MS * 2)
    a.replicas.beforeDrop = async (key) => {
      await a.replicas.write(key, 'back', s.cluster.clock.now(), await a.replicas.get(key))
    }
    expect(await gc(a).runOnce()).toBe(0)
    expect(valuesOf(await a.replicas.get('gone'))).toEqual(['back'])
  })

  it('asks every other replica of the key before collecting', async () => {
    const s = await setup()
    const { a, b, c } = s
    const asked = new Set<PeerId>()
    for (const node of [b, c]) {
      node.intercept = async (_from, request) => {
        if (request.type === 'replica-get-many') asked.add(node.id)
        return undefined
      }
    }
    await writeThenDelete(s, a, 'gone', [b, c], [b, c])
    await s.cluster.clock.advance(GRACE_MS * 2)
    expect(await gc(a).runOnce()).toBe(1)
    expect([...asked].sort()).toEqual(['b', 'c'])
  })
})
