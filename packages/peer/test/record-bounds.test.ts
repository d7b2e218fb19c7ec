/**
 * A key's bounds at work in a cluster: the write bounds (LIMITS.siblings, siblingBytes)
 * refuse a put, never a merge; merges reach past them (up to the storage bound) and
 * converge; versions larger than a frame travel in parts; one key that cannot be merged
 * does not hold back the others of its anti-entropy batch.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { LIMITS, clockEqual, partitionOf, siblingCount } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import { MemoryStorage } from '@ringstore/testkit'
import type { TestCluster } from './cluster-helpers.js'
import { bytes, findKey, primariesOf, startCluster } from './cluster-helpers.js'

const THREE = ['p1', 'p2', 'p3'] as const

let cluster: TestCluster | undefined
afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

async function start (ids: readonly PeerId[], frames = false): Promise<TestCluster> {
  cluster = await startCluster(ids, {}, { frames })
  return cluster
}

/** `count` blind writes of `key` at `writer` while it is cut off from everyone (W=1). */
async function blindWritesCutOff (c: TestCluster, writer: PeerId, key: Key, count: number, value: (i: number) => Uint8Array): Promise<void> {
  c.hub.isolate(writer)
  for (let i = 0; i < count; i++) await c.peer(writer).put(key, value(i), { w: 1 })
  c.hub.healAll()
}

/**
 * Every peer cut off from every other at once (a full partition); each writes `count` blind
 * versions of `key` (W=1), then the partition heals. No writer sees another's versions
 * (hints are delivered only after the heal), so each stays within the write bound.
 */
async function blindWritesPartitioned (c: TestCluster, key: Key, count: number, value: (writer: number, i: number) => Uint8Array): Promise<void> {
  const ids = [...c.peers.keys()]
  for (const id of ids) c.hub.isolate(id)
  for (const [n, id] of ids.entries()) for (let i = 0; i < count; i++) await c.peer(id).put(key, value(n, i), { w: 1 })
  c.hub.healAll()
}

/** Every peer's local version of `key` (null: none). */
async function replicasOf (c: TestCluster, key: Key): Promise<Map<PeerId, DvvSet | null>> {
  const out = new Map<PeerId, DvvSet | null>()
  for (const [id, peer] of c.peers) out.set(id, await peer.localGet(key))
  return out
}

/** Asserts that every peer holds the same version of `key`, with `siblings` siblings; returns it. */
async function expectConverged (c: TestCluster, key: Key, siblings: number): Promise<DvvSet> {
  const versions = [...(await replicasOf(c, key)).values()]
  const first = versions[0] ?? null
  expect(first).not.toBeNull()
  for (const version of versions) expect(version !== null && first !== null && clockEqual(version, first)).toBe(true)
  expect(siblingCount(first as DvvSet)).toBe(siblings)
  return first as DvvSet
}

/** A valid version of one actor holding `count` tiny siblings (for a replica-put from a member). */
function manySiblings (actor: string, count: number, ts: number): DvvSet {
  const values = Array.from({ length: count }, (_, i) => ({ value: Uint8Array.of(i % 256, i >> 8), ts }))
  return { entries: [{ actor, counter: count, values, ts }], anonymous: [] }
}

/** Keys other than `key` in its partition (an anti-entropy batch holds one partition's keys). */
function keysBeside (c: TestCluster, key: Key, count: number): Key[] {
  const q = c.peer('p1').ring().q
  const out: Key[] = []
  for (let i = 0; out.length < count; i++) if (`beside-${i}` !== key && partitionOf(`beside-${i}`, q) === partitionOf(key, q)) out.push(`beside-${i}`)
  return out
}

describe('merges past the write bound (64 + 61 siblings)', () => {
  it('read repair converges every replica to the 125-sibling union', async () => {
    const c = await start(THREE)
    const key = 'cart:125'
    await blindWritesCutOff(c, 'p1', key, 64, (i) => bytes(`p1-${i}`))
    await blindWritesCutOff(c, 'p2', key, 61, (i) => bytes(`p2-${i}`))
    expect(siblingCount(await c.peer('p1').localGet(key) as DvvSet)).toBe(64)
    expect(siblingCount(await c.peer('p2').localGet(key) as DvvSet)).toBe(61)
    // p3 holds nothing: it asks every replica for its version, merges, repairs them all.
    const read = await c.peer('p3').get(key, { r: 3 })
    expect(read.values).toHaveLength(125)
    await c.clock.advance(300)
    const merged = await expectConverged(c, key, 125)
    expect(read.clock !== null && clockEqual(read.clock, merged)).toBe(true)
    // The union is past the write bound: a blind write is refused, a write with the context collapses it.
    await expect(c.peer('p1').put(key, bytes('blind'))).rejects.toMatchObject({ name: 'TooManySiblingsError' })
    await c.peer('p1').put(key, bytes('merged'), { context: read.context, w: 3 })
    await expectConverged(c, key, 1)
  })

  it('anti-entropy converges every replica to the 125-sibling union', async () => {
    const c = await start(THREE)
    const key = 'cart:125-ae'
    await blindWritesCutOff(c, 'p1', key, 64, (i) => bytes(`p1-${i}`))
    await blindWritesCutOff(c, 'p2', key, 61, (i) => bytes(`p2-${i}`))
    await c.peer('p1').runAntiEntropyRound()
    await c.peer('p2').runAntiEntropyRound()
    await expectConverged(c, key, 125)
    for (const id of THREE) expect(c.peer(id).metrics.mergesRefused).toBe(0)
  })
})

describe('versions larger than one frame', () => {
  /**
   * Three replicas each take 4 × 900 kB blind writes while cut off from each other (under
   * the write bound, 4 MiB; 10.8 MB together, a frame is 8 MiB), then the partition heals
   * and anti-entropy runs. Returns the converged version.
   */
  async function partitionedBigWrites (c: TestCluster, key: Key): Promise<DvvSet> {
    await blindWritesPartitioned(c, key, 4, (n, i) => new Uint8Array(900_000).fill(16 * n + i))
    for (const id of THREE) expect(siblingCount(await c.peer(id).localGet(key) as DvvSet)).toBe(4)
    for (const id of THREE) await c.peer(id).runAntiEntropyRound()
    const merged = await expectConverged(c, key, 12)
    expect(merged.entries.flatMap((e) => e.values).reduce((n, s) => n + (s.value?.byteLength ?? 0), 0)).toBeGreaterThan(LIMITS.frameBytes)
    return merged
  }

  it('concurrent near-bound writes on cut-off replicas converge by anti-entropy, and every replica answers the same', async () => {
    const c = await start(THREE, true)
    const key = 'cart:big'
    const merged = await partitionedBigWrites(c, key)
    // A replica that lost its copy (a disk replaced) can only get the union, 10.8 MB, from
    // the others' anti-entropy: pushed in parts, since it fits no frame.
    await c.restartWith('p3', new MemoryStorage())
    expect(await c.peer('p3').localGet(key)).toBeNull()
    await c.peer('p1').runAntiEntropyRound()
    const restored = await c.peer('p3').localGet(key)
    expect(restored).not.toBeNull()
    expect(clockEqual(restored as DvvSet, merged)).toBe(true)
    const answers = await Promise.all(THREE.map(async (id) => (await c.peer(id).get(key)).values.map((v) => `${v[0]}:${v.byteLength}`).sort()))
    for (const answer of answers) expect(answer).toEqual(answers[0])
    expect(answers[0]).toHaveLength(12)
    // Nothing was attempted that a frame cannot carry.
    expect(c.hub.unencodable).toEqual([])
  })

  it('a replica with a new write and the others with a version larger than a frame converge both ways', async () => {
    const c = await start(THREE, true)
    const key = 'cart:big-both-ways'
    const merged = await partitionedBigWrites(c, key)
    // p3 comes back empty and takes one new write: no reply frame holds the 10.8 MB union, so
    // p3's round reads it in parts and pushes the merge back in parts.
    // (Time passes first: a wiped store's first actor epoch is the wall clock, actor-epoch.ts.)
    await c.clock.advance(1000)
    await c.restartWith('p3', new MemoryStorage())
    c.hub.isolate('p3')
    await c.peer('p3').put(key, bytes('new on p3'), { w: 1 })
    c.hub.healAll()
    await c.peer('p3').runAntiEntropyRound()
    await c.peer('p1').runAntiEntropyRound()
    await c.peer('p2').runAntiEntropyRound()
    const after = await expectConverged(c, key, 13)
    expect(siblingCount(after)).toBe(siblingCount(merged) + 1)
    expect(c.hub.unencodable).toEqual([])
  })

  it('a replica that holds nothing reads a version larger than a frame in parts, and repairs itself', async () => {
    const c = await start(THREE, true)
    const key = 'cart:big-read'
    const merged = await partitionedBigWrites(c, key)
    await c.clock.advance(1000)
    await c.restartWith('p3', new MemoryStorage())
    // p3 holds nothing: it asks the others for their versions, which no reply frame holds.
    const read = await c.peer('p3').get(key)
    expect(read.values).toHaveLength(12)
    expect(read.clock !== null && clockEqual(read.clock, merged)).toBe(true)
    await c.clock.advance(300)
    const repaired = await c.peer('p3').localGet(key)
    expect(repaired !== null && clockEqual(repaired, merged)).toBe(true)
    expect(c.hub.unencodable).toEqual([])
  })

  it('read repair of a replica that holds nothing sends a version larger than a frame in parts', async () => {
    const c = await start(THREE, true)
    const key = 'cart:big-repair'
    const merged = await partitionedBigWrites(c, key)
    await c.restartWith('p3', new MemoryStorage())
    // p1 reads: p3's digest is empty, so read repair sends it the union (10.8 MB).
    const read = await c.peer('p1').get(key, { r: 3 })
    expect(read.values).toHaveLength(12)
    await c.clock.advance(300)
    const repaired = await c.peer('p3').localGet(key)
    expect(repaired).not.toBeNull()
    expect(clockEqual(repaired as DvvSet, merged)).toBe(true)
    expect(c.hub.unencodable).toEqual([])
  })
})

describe('ownership transfer of a version larger than one frame', () => {
  it('a joining peer receives it in parts, and the peer that no longer owns it drops it', async () => {
    const c = await start(THREE, true)
    // A key whose preference list, once p4 has joined, holds p4 and not one of p1..p3
    // (placement is deterministic under the manual clock).
    const key = 'cart:moves'
    await blindWritesPartitioned(c, key, 4, (n, i) => new Uint8Array(900_000).fill(16 * n + i))
    for (const id of THREE) await c.peer(id).runAntiEntropyRound()
    const merged = await expectConverged(c, key, 12)
    await c.add('p4')
    const owners = primariesOf(c.peer('p1'), key)
    expect(owners).toContain('p4')
    const former = THREE.find((id) => !owners.includes(id)) as PeerId
    for (const peer of c.peers.values()) await peer.runTransfer()
    const moved = await c.peer('p4').localGet(key)
    expect(moved).not.toBeNull()
    expect(clockEqual(moved as DvvSet, merged)).toBe(true)
    expect(await c.peer(former).localGet(key)).toBeNull()
    expect(c.hub.unencodable).toEqual([])
  })
})

describe('one key does not hold back its anti-entropy batch', () => {
  it('a key whose merge passes the mint cap converges with the rest of its partition', async () => {
    const c = await start(THREE)
    const key = 'cart:wide'
    const beside = keysBeside(c, key, 8)
    const member = c.hub.endpoint('p3')
    if (member === undefined) throw new Error('no endpoint p3')
    // p1 and p2 each hold 40 siblings of the key (80 together, past the 64 a write may make);
    // p1 alone holds the keys beside it.
    await member.request('p1', { type: 'replica-put', key, clock: manySiblings('x:1', 40, 5) }, 1000)
    await member.request('p2', { type: 'replica-put', key, clock: manySiblings('y:1', 40, 5) }, 1000)
    for (const other of beside) await member.request('p1', { type: 'replica-put', key: other, clock: manySiblings('z:1', 1, 5) }, 1000)
    await c.peer('p1').runAntiEntropyRound()
    await c.peer('p2').runAntiEntropyRound()
    await expectConverged(c, key, 80)
    for (const other of beside) await expectConverged(c, other, 1)
  })

  it('a key whose merge passes the storage bound is skipped and counted; the rest of its batch converges', async () => {
    const c = await start(THREE)
    const key = 'cart:too-wide'
    const beside = keysBeside(c, key, 8)
    const member = c.hub.endpoint('p3')
    if (member === undefined) throw new Error('no endpoint p3')
    const half = LIMITS.storedSiblings / 2 + 10
    const mine = manySiblings('x:1', half, 5)
    const theirs = manySiblings('y:1', half, 5)
    await member.request('p1', { type: 'replica-put', key, clock: mine }, 1000)
    await member.request('p2', { type: 'replica-put', key, clock: theirs }, 1000)
    for (const other of beside) await member.request('p1', { type: 'replica-put', key: other, clock: manySiblings('z:1', 1, 5) }, 1000)
    await c.peer('p1').runAntiEntropyRound()
    for (const other of beside) {
      const versions = await replicasOf(c, other)
      expect(versions.get('p2') !== null && versions.get('p1') !== null && clockEqual(versions.get('p2') as DvvSet, versions.get('p1') as DvvSet)).toBe(true)
    }
    // Neither side lost what it held; both counted the merge they could not store.
    expect(clockEqual(await c.peer('p1').localGet(key) as DvvSet, mine)).toBe(true)
    expect(clockEqual(await c.peer('p2').localGet(key) as DvvSet, theirs)).toBe(true)
    expect(c.peer('p1').metrics.mergesRefused).toBeGreaterThan(0)
    expect(c.peer('p2').metrics.mergesRefused).toBeGreaterThan(0)
  })
})

describe('the write bound in bytes', () => {
  it('refuses a put whose result passes LIMITS.siblingBytes with SiblingsTooLargeError, and changes nothing', async () => {
    const c = await start(['p1', 'p2', 'p3', 'p4', 'p5'])
    const key = findKey(c.peer('p1'), (primaries) => primaries[0] === 'p1')
    const value = (i: number): Uint8Array => new Uint8Array(1_000_000).fill(i)
    for (let i = 0; i < 4; i++) await c.peer('p1').put(key, value(i), { w: 3 })
    const before = await replicasOf(c, key)
    await expect(c.peer('p1').put(key, value(9), { w: 3 })).rejects.toMatchObject({ name: 'SiblingsTooLargeError', limit: LIMITS.siblingBytes })
    // A peer that is not a primary forwards the put: the coordinator's refusal keeps its name.
    const outsider = ['p1', 'p2', 'p3', 'p4', 'p5'].find((id) => !primariesOf(c.peer('p1'), key).includes(id)) as PeerId
    await expect(c.peer(outsider).put(key, value(9), { w: 3 })).rejects.toMatchObject({ name: 'SiblingsTooLargeError' })
    await c.clock.advance(1000)
    const after = await replicasOf(c, key)
    for (const [id, version] of before) {
      const now = after.get(id) ?? null
      expect(version === null ? now === null : now !== null && clockEqual(now, version)).toBe(true)
    }
    const read = await c.peer('p1').get(key)
    expect(read.values).toHaveLength(4)
    // Writing with the read's context merges the siblings, as the refusal says.
    await c.peer('p1').put(key, value(7), { context: read.context })
    expect((await c.peer('p1').get(key)).values).toHaveLength(1)
  })
})
