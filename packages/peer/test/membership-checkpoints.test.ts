/**
 * Ring checkpoints in the running membership (cluster/membership-checkpoints.ts): a
 * cluster that churns agrees on a checkpoint, drops the records of the members that left
 * before it (the table stays bounded), keeps the ring an uncompacted fold gives, folds
 * from the persisted checkpoint after a restart, and hands it to a newcomer, which checks
 * its hash before use.
 */
import { describe, expect, it } from 'vitest'
import { buildRing, compactable, encodeCheckpoint, encodeRecord, ringCheckpoint } from '@ringstore/core'
import type { MemberRecord, Ring } from '@ringstore/core'
import type { PeerConfig } from '../src/config.js'
import { Membership } from '../src/cluster/membership.js'
import { CHECKPOINT_KEY } from '../src/cluster/membership-checkpoints.js'
import { memberOp } from '../src/cluster/member-persist.js'
import { MemoryStorage, TestSigner, settle } from '@ringstore/testkit'
import { TestCluster } from './cluster-harness.js'
import { membership, startNode } from './membership-harness.js'

const Q = 64
const CONFIG: Partial<PeerConfig> = {
  q: Q, heartbeatIntervalMs: 1000, probeIntervalMs: 1000,
  ringCheckpoints: true, checkpointIntervalMs: 2_000, checkpointSettleMs: 10_000, checkpointMinDrop: 3
}
const STABLE = ['s', 'a', 'b']
const CHURN = 16

/** What a ring decides: owners and the balanced ranks. */
function layout (ring: Ring): unknown {
  return { owners: ring.owners, ranks: ring.ranks }
}

/**
 * Three stable members, then CHURN members that each join and leave, checkpoints agreed
 * meanwhile. Returns every record ever made (what an uncompacted table would hold) and the
 * largest table the seed held.
 */
async function churnedCluster (proposers = STABLE): Promise<{ cluster: TestCluster, full: () => MemberRecord[], largest: number }> {
  const cluster = new TestCluster(CONFIG)
  for (const id of STABLE) {
    await startNode(cluster, id, id === 's' ? [] : ['s'], undefined, { ringCheckpoints: proposers.includes(id) })
    await cluster.clock.advance(1_000)
  }
  const left: MemberRecord[] = []
  let largest = 0
  for (let i = 0; i < CHURN; i++) {
    const node = await startNode(cluster, `c${String(i).padStart(2, '0')}`, ['s'], undefined, { ringCheckpoints: proposers.length > 0 })
    await cluster.clock.advance(1_000)
    await membership(node).leave()
    await settle()
    left.push(membership(node).self())
    membership(node).stop()
    await node.network.stop()
    await cluster.clock.advance(2_000)
    largest = Math.max(largest, membership(cluster.node('s')).members().length)
  }
  const full = (): MemberRecord[] => [...STABLE.map((id) => membership(cluster.node(id)).self()), ...left]
  return { cluster, full, largest }
}

/** Past the settle time and a few checkpoint periods: propose, take up, agree, adopt. */
async function letThemAgree (cluster: TestCluster): Promise<void> {
  for (let i = 0; i < 12; i++) await cluster.clock.advance(2_000)
}

describe('ring checkpoints in the engine', () => {
  it('a churned cluster agrees on checkpoints, drops the records of those who left, and keeps the ring of the full fold', async () => {
    const { cluster, full, largest } = await churnedCluster()
    // Checkpoints were agreed while the churn went on: the table never held the whole history.
    expect(largest).toBeLessThanOrEqual(STABLE.length + 8)
    await letThemAgree(cluster)
    const expected = layout(buildRing(full(), Q))
    const hashes = new Set<string>()
    for (const id of STABLE) {
      const m = membership(cluster.node(id))
      const checkpoint = m.checkpoint()
      if (checkpoint === undefined) throw new Error(`${id} adopted no checkpoint`)
      hashes.add(Buffer.from(m.self().checkpoint?.hash ?? []).toString('hex'))
      // What is left: the stable members and fewer churned ones than would be worth a checkpoint.
      const kept = m.members().map((r) => r.id)
      expect(kept.filter((k) => !STABLE.includes(k)).length).toBeLessThan(CONFIG.checkpointMinDrop as number)
      expect(kept).toEqual(full().filter((r) => !compactable(r, checkpoint)).map((r) => r.id).sort())
      expect(layout(m.ring())).toEqual(expected)
      // Persisted, and the dropped records deleted from storage too.
      expect(await cluster.node(id).storage.get('meta', CHECKPOINT_KEY)).toEqual(encodeCheckpoint(checkpoint))
      expect(await cluster.node(id).storage.get('meta', 'member/c00')).toBeUndefined()
    }
    expect(hashes.size).toBe(1)
    // Gossip does not bring a dropped record back: offered again, it is refused.
    const s = membership(cluster.node('s'))
    const size = s.members().length
    const stale = full().find((r) => r.id === 'c00') as MemberRecord
    const signature = await new TestSigner('c00').sign(encodeRecord(stale))
    expect(await s.acceptSigned([{ record: stale, signature }])).toBe(0)
    expect(s.members()).toHaveLength(size)
    // A member whose record was dropped may still be handing its data off: still a member to roleOf (for a day).
    expect(s.roleOf('c00')).toBe('member')
    expect(s.roleOf('stranger')).toBe('client')
  })

  it('one member proposing is enough: the others take its proposal up; with nobody proposing no record carries a checkpoint', async () => {
    const one = await churnedCluster(['s'])
    await letThemAgree(one.cluster)
    const cut = membership(one.cluster.node('s')).checkpoint()?.cut
    expect(cut).toBeDefined()
    for (const id of STABLE) expect(membership(one.cluster.node(id)).checkpoint()?.cut).toBe(cut)
    const none = await churnedCluster([])
    await letThemAgree(none.cluster)
    for (const id of STABLE) {
      const m = membership(none.cluster.node(id))
      expect(m.checkpoint()).toBeUndefined()
      expect(m.members()).toHaveLength(STABLE.length + CHURN)
      expect(m.members().every((r) => r.checkpoint === undefined)).toBe(true)
    }
  })

  it('a restarted member folds from its persisted checkpoint before anyone answers', async () => {
    const { cluster, full } = await churnedCluster()
    await letThemAgree(cluster)
    const a = cluster.node('a')
    const before = layout(membership(a).ring())
    expect(before).toEqual(layout(buildRing(full(), Q)))
    const kept = membership(a).members().map((r) => r.id)
    membership(a).stop()
    // As if it stopped between persisting the checkpoint and deleting what it dropped.
    const stale = full().find((r) => r.id === 'c00') as MemberRecord
    await a.storage.write([memberOp({ record: stale, signature: await new TestSigner('c00').sign(encodeRecord(stale)) })])
    cluster.hub.crash('a')
    cluster.hub.isolate('a')
    const again = await startNode(cluster, 'a', ['s'], MemoryStorage.reopen(a.storage))
    expect(await again.storage.get('meta', 'member/c00')).toBeUndefined()
    // Still a member to roleOf after the restart (it may be handing its data off yet).
    expect(membership(again).roleOf('c00')).toBe('member')
    expect(membership(again).checkpoint()).toBeDefined()
    expect(membership(again).members().map((r) => r.id)).toEqual(kept)
    expect(kept.length).toBeLessThan(STABLE.length + CONFIG.checkpointMinDrop!)
    expect(layout(membership(again).ring())).toEqual(before)
    // Its new record advertises the checkpoint it folds from.
    expect(membership(again).self().checkpoint?.cut).toBe(membership(again).checkpoint()?.cut)
  })

  it('a newcomer after compaction fetches the agreed checkpoint and computes the ring the members do', async () => {
    const { cluster, full } = await churnedCluster()
    await letThemAgree(cluster)
    const n = await startNode(cluster, 'n', ['s'])
    await cluster.clock.advance(3_000)
    const mine = membership(n)
    expect(mine.checkpoint()).toBeDefined()
    expect(mine.self().checkpoint).toEqual(membership(cluster.node('s')).self().checkpoint)
    expect(mine.members().map((r) => r.id)).toEqual(membership(cluster.node('s')).members().map((r) => r.id))
    // The ring of the whole history (the churned members included) with n's join.
    const expected = layout(buildRing([...full(), mine.self()], Q))
    expect(layout(mine.ring())).toEqual(expected)
    for (const id of STABLE) expect(layout(membership(cluster.node(id)).ring())).toEqual(expected)
    expect(cluster.sentCount('ring-checkpoint', 'n')).toBeGreaterThan(0)
  })

  it('a tab (weight 0) gets the checkpoint through the client surface and routes by the members\' ring', async () => {
    const { cluster } = await churnedCluster()
    await letThemAgree(cluster)
    const tab = cluster.add('t', { config: { seeds: ['s'], weight: 0 } })
    tab.deps.membership = new Membership(tab.deps)
    await cluster.startNetwork(tab)
    await membership(tab).start()
    await settle()
    expect(membership(tab).checkpoint()?.cut).toBe(membership(cluster.node('s')).checkpoint()?.cut)
    // It has no say: its record advertises nothing.
    expect(membership(tab).self().checkpoint).toBeUndefined()
    expect(layout(membership(tab).ring())).toEqual(layout(membership(cluster.node('s')).ring()))
  })

  it('a newcomer refuses a checkpoint that does not hash to the agreed one', async () => {
    const { cluster, full } = await churnedCluster()
    await letThemAgree(cluster)
    const agreed = membership(cluster.node('s')).checkpoint()
    expect(agreed).toBeDefined()
    // The seed answers with another checkpoint: a real fold state, one event earlier.
    const rogue = encodeCheckpoint(ringCheckpoint(full(), Q, (agreed?.cut ?? 0) - 1))
    cluster.node('s').intercept = async (_from, request) => request.type === 'ring-checkpoint' ? { type: 'checkpoint', bytes: rogue } : undefined
    cluster.hub.block('r', 'a')
    cluster.hub.block('r', 'b')
    const r = await startNode(cluster, 'r', ['s'])
    expect(cluster.sentCount('ring-checkpoint', 'r')).toBeGreaterThan(0)
    expect(membership(r).checkpoint()).toBeUndefined()
    expect(await r.storage.get('meta', CHECKPOINT_KEY)).toBeUndefined()
    // Once a member answers honestly, it is taken.
    cluster.node('s').intercept = undefined
    await cluster.clock.advance(10_000)
    expect(membership(r).checkpoint()?.cut).toBe(agreed?.cut)
  })
})
