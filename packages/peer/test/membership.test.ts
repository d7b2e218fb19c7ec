import { describe, it, expect } from 'vitest'
import { countMoved, encodeRecord, newMemberRecord, nextHeartbeat, ownedPartitions, restartRecord } from '@ringstore/core'
import type { MemberRecord, PeerId, Ring } from '@ringstore/core'
import type { PeerConfig } from '../src/config.js'
import type { Clock } from '../src/interfaces.js'
import { Membership } from '../src/cluster/membership.js'
import { membersDigest } from '../src/protocol/members-digest.js'
import { MemoryStorage } from '@ringstore/testkit'
import { TestSigner, settle } from '@ringstore/testkit'
import { TestCluster } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'
import { membership, startNode } from './membership-harness.js'

const CONFIG: Partial<PeerConfig> = { q: 64, heartbeatIntervalMs: 1000, probeIntervalMs: 1000 }

function ids (node: TestNode): PeerId[] {
  return membership(node).members().map((m) => m.id)
}

function record (id: PeerId, changes: Partial<MemberRecord> = {}): MemberRecord {
  return { ...newMemberRecord({ id, addrs: [], weight: 1, zone: 'z', joinedAt: 5 }), ...changes }
}

async function signedBy (author: PeerId, r: MemberRecord): Promise<Uint8Array> {
  return await new TestSigner(author).sign(encodeRecord(r))
}

describe('Membership', () => {
  it('starts with its own signed record, persisted, and a ring that contains it', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const self = membership(a).self()
    expect(self).toMatchObject({ id: 'a', status: 'active', incarnation: 0, weight: 1, addrs: ['/mem/a'], joinedAt: 1_000_000 })
    expect(membership(a).ring().owners.every((o) => o === 'a')).toBe(true)
    const records = membership(a).signedRecords()
    expect(records).toHaveLength(1)
    expect(await new TestSigner('x').verify('a', encodeRecord(self), records[0]?.signature ?? new Uint8Array())).toBe(true)
    expect(await a.storage.get('meta', 'member-record')).toBeDefined()
  })

  it('refuses a record about X signed by Y (forgery), accepts X\'s own', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const x = record('x')
    await membership(a).handleAnnounce('y', { record: x, signature: await signedBy('y', x) })
    expect(ids(a)).toEqual(['a'])
    // A relayed table (a seed's pull answer) with a forged entry is refused the same way.
    expect(await membership(a).acceptSigned([{ record: x, signature: await signedBy('y', x) }])).toBe(0)
    // A signature over different content does not verify either.
    await membership(a).handleAnnounce('x', { record: { ...x, weight: 9 }, signature: await signedBy('x', x) })
    expect(ids(a)).toEqual(['a'])
    await membership(a).handleAnnounce('y', { record: x, signature: await signedBy('x', x) })
    expect(ids(a)).toEqual(['a', 'x'])
  })

  it('checks the signature of one received record object once in a process, and never skips a check on a forgery', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const b = await startNode(cluster, 'b', ['a'])
    const checks: PeerId[] = []
    for (const node of [a, b]) {
      const signer = node.deps.signer
      const verify = signer.verify.bind(signer)
      signer.verify = async (id, bytes, signature) => { checks.push(node.id); return await verify(id, bytes, signature) }
    }
    const x = record('x')
    // One decoded announcement handed to two peers (a broadcast decoded once): one check.
    const received = { record: x, signature: await signedBy('x', x) }
    await membership(a).handleAnnounce('x', received)
    await membership(b).handleAnnounce('x', received)
    expect(checks).toEqual(['a'])
    expect(ids(a)).toContain('x')
    expect(ids(b)).toContain('x')
    // A forged object is checked by every peer it reaches, and refused by each.
    const y = record('y')
    const forged = { record: y, signature: await signedBy('x', y) }
    await membership(a).handleAnnounce('x', forged)
    await membership(b).handleAnnounce('x', forged)
    expect(checks).toEqual(['a', 'a', 'b'])
    expect(ids(a)).not.toContain('y')
    expect(ids(b)).not.toContain('y')
  })

  it('ignores a stale record and a malformed one', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const newer = record('x', { incarnation: 3, weight: 2 })
    const older = record('x', { incarnation: 2, heartbeat: 50 })
    await membership(a).handleAnnounce('x', { record: newer, signature: await signedBy('x', newer) })
    await membership(a).handleAnnounce('x', { record: older, signature: await signedBy('x', older) })
    expect(membership(a).members().find((m) => m.id === 'x')).toEqual(newer)
    const bad = { ...record('z'), weight: -1 }
    await membership(a).handleAnnounce('z', { record: bad, signature: new Uint8Array(32) })
    expect(ids(a)).toEqual(['a', 'x'])
  })

  it('learns the full table from a seed, relayed records verifying as their authors\'', async () => {
    const cluster = new TestCluster(CONFIG)
    await startNode(cluster, 's')
    await startNode(cluster, 'a', ['s'])
    await startNode(cluster, 'b', ['s'])
    // c can reach only the seed: everything it learns about a and b comes through s.
    cluster.hub.block('c', 'a')
    cluster.hub.block('c', 'b')
    const c = await startNode(cluster, 'c', ['s'])
    expect(ids(c)).toEqual(['a', 'b', 'c', 's'])
    const ownersC = membership(c).ring().owners
    expect(new Set(ownersC)).toEqual(new Set(['a', 'b', 'c', 's']))
    expect(membership(cluster.node('s')).ring().owners).toEqual(ownersC)
  })

  it('a new member whose clock is behind joins after every join it learnt from the seeds: the ring moves only its share', async () => {
    const cluster = new TestCluster(CONFIG)
    for (const id of ['s', 'a', 'b', 'd']) {
      await cluster.clock.advance(10_000)
      await startNode(cluster, id, id === 's' ? [] : ['s'])
    }
    const before = membership(cluster.node('s')).ring()
    const latest = Math.max(...membership(cluster.node('s')).members().map((m) => m.joinedAt))
    // c's clock reads 0, older than every join so far.
    const c = cluster.add('c', { config: { seeds: ['s'] } })
    const shared = c.deps.clock
    const behind: Clock = { now: () => 0, setTimer: (ms, fn) => shared.setTimer(ms, fn), clearTimer: (handle) => { shared.clearTimer(handle) }, random: () => shared.random() }
    Object.assign(c.deps, { clock: behind })
    c.deps.addrs = ['/mem/c']
    c.deps.membership = new Membership(c.deps)
    await cluster.startNetwork(c)
    await membership(c).start()
    await settle()
    expect(membership(c).self().joinedAt).toBe(latest + 1)
    const after = membership(cluster.node('s')).ring()
    expect(after.owners).toEqual(membership(c).ring().owners)
    const share = ownedPartitions(after, 'c').length
    expect(share).toBeGreaterThan(0)
    expect(countMoved(before, after)).toBe(share)
  })

  it('retries an unreachable seed with back-off and joins once it answers', async () => {
    const cluster = new TestCluster(CONFIG)
    await startNode(cluster, 's')
    cluster.hub.block('a', 's')
    const a = await startNode(cluster, 'a', ['s'])
    expect(ids(a)).toEqual(['a'])
    // Unblocking fires a connect (which pulls too): stall instead, so only the retry can succeed.
    cluster.hub.stall('a', 's')
    await cluster.clock.advance(5_000)
    expect(ids(a)).toEqual(['a'])
    cluster.hub.unblock('a', 's')
    await cluster.clock.advance(60_000)
    expect(ids(a)).toEqual(['a', 's'])
  })

  it('fires onRingChange on join and leave, not on gossip rounds', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const events: Array<[Ring, Ring]> = []
    membership(a).onRingChange((previous, next) => events.push([previous, next]))
    const b = await startNode(cluster, 'b', ['a'])
    expect(events).toHaveLength(1)
    expect(events[0]?.[1].members.has('b')).toBe(true)
    await cluster.clock.advance(5_500)
    // Five gossip rounds each: the digests agree, nothing moves, the ring stays.
    expect(membership(a).digest()).toEqual(membership(b).digest())
    expect(events).toHaveLength(1)
    await membership(b).leave()
    await settle()
    expect(events).toHaveLength(2)
    expect(events[1]?.[1].members.has('b')).toBe(false)
    expect(membership(a).members().find((m) => m.id === 'b')?.status).toBe('left')
    // The leave is durable: b restarting later rejoins with a newer incarnation.
    expect(membership(b).self().status).toBe('left')
  })

  it('a connection opened by a gossip exchange costs no pull of its own; one a gossip period later does', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const b = await startNode(cluster, 'b', ['a'])
    expect(membership(a).digest()).toEqual(membership(b).digest())
    // a's digest reaches b (a gossip round of a's, which opened the connection): the tables agree.
    expect(membersDigest.serve({ membership: membership(b) }, { type: 'members-digest', digest: membership(a).digest().slice() }, 'a')).toEqual({ type: 'ok' })
    const before = cluster.sentCount('members-digest', 'b')
    membership(b).onPeerConnected('a')
    await settle()
    expect(cluster.sentCount('members-digest', 'b')).toBe(before)
    // A gossip period later the comparison is stale: a new connection is worth a pull. (b's
    // own rounds are stopped, or they would compare with a, its only partner, every period.)
    membership(b).stop()
    await cluster.clock.advance(1_000)
    membership(b).onPeerConnected('a')
    await settle()
    expect(cluster.sentCount('members-digest', 'b')).toBe(before + 1)
  })

  it('a peer that left restarts as a rejoin, or, resuming its leave, stays left at the same leave time', async () => {
    for (const resumeLeave of [false, true]) {
      const cluster = new TestCluster(CONFIG)
      const a = await startNode(cluster, 'a')
      const b = await startNode(cluster, 'b', ['a'])
      await membership(b).leave()
      await settle()
      const left = membership(a).members().find((m) => m.id === 'b')
      expect(left?.status).toBe('left')
      membership(b).stop()
      cluster.hub.crash('b')
      const node = cluster.add('b', { config: { seeds: ['a'] }, storage: MemoryStorage.reopen(b.storage) })
      node.deps.addrs = ['/mem/b']
      node.deps.membership = new Membership({ ...node.deps, resumeLeave })
      await cluster.startNetwork(node)
      await membership(node).start()
      await cluster.clock.advance(3_000)
      const seen = membership(a).members().find((m) => m.id === 'b')
      if (resumeLeave) {
        expect(membership(node).self()).toMatchObject({ status: 'left', leftAt: left?.leftAt })
        expect(seen).toMatchObject({ status: 'left', leftAt: left?.leftAt })
        expect(membership(a).ring().members.has('b')).toBe(false)
      } else {
        expect(membership(node).self().status).toBe('active')
        expect(seen?.status).toBe('active')
        expect(membership(a).ring().members.has('b')).toBe(true)
      }
    }
  })

  it('a member that left and rejoins joins after the latest event and keeps its stint: the ring moves only its share', async () => {
    const cluster = new TestCluster({ ...CONFIG, q: 256 })
    for (const id of ['s', 'a', 'b', 'c', 'd']) {
      await cluster.clock.advance(10_000)
      await startNode(cluster, id, id === 's' ? [] : ['s'])
    }
    const b = cluster.node('b')
    await membership(b).leave()
    await settle()
    membership(b).stop()
    cluster.hub.crash('b')
    // Others join after the leave; then b comes back over its storage.
    for (const id of ['e', 'f']) {
      await cluster.clock.advance(10_000)
      await startNode(cluster, id, ['s'])
    }
    const s = membership(cluster.node('s'))
    const before = s.ring()
    const latest = Math.max(...s.members().map((m) => Math.max(m.joinedAt, m.leftAt ?? 0)))
    const node = cluster.add('b', { config: { seeds: ['s'] }, storage: MemoryStorage.reopen(b.storage) })
    node.deps.addrs = ['/mem/b']
    node.deps.membership = new Membership(node.deps)
    await cluster.startNetwork(node)
    await membership(node).start()
    await cluster.clock.advance(3_000)
    const self = membership(node).self()
    expect(self.joinedAt).toBeGreaterThan(latest)
    expect(self.stints).toHaveLength(1)
    const after = s.ring()
    expect(after.owners).toEqual(membership(node).ring().owners)
    const share = ownedPartitions(after, 'b').length
    expect(share).toBeGreaterThan(0)
    expect(countMoved(before, after)).toBe(share)
  })

  it('a restarted peer knows the table and the ring from storage before anyone answers', async () => {
    const cluster = new TestCluster(CONFIG)
    const s = await startNode(cluster, 's')
    await startNode(cluster, 'b', ['s'])
    const a = await startNode(cluster, 'a', ['s'])
    await cluster.clock.advance(3_000)
    const ringBefore = membership(a).ring().owners
    const incarnation = membership(a).self().incarnation
    membership(a).stop()
    cluster.hub.crash('a')
    // a comes back alone: every link cut, so nothing can come from the network.
    cluster.hub.isolate('a')
    const again = await startNode(cluster, 'a', ['s'], MemoryStorage.reopen(a.storage))
    expect(ids(again)).toEqual(['a', 'b', 's'])
    expect(membership(again).ring().owners).toEqual(ringBefore)
    expect(membership(again).self().incarnation).toBe(incarnation + 1)
    expect(membership(again).self().joinedAt).toBe(membership(s).members().find((m) => m.id === 'a')?.joinedAt)
  })

  it('re-incarnates above a newer record of its own signed by an earlier life (wiped storage)', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const earlier = restartRecord(restartRecord(restartRecord(membership(a).self())))
    await membership(a).handleAnnounce('b', { record: earlier, signature: await signedBy('a', earlier) })
    await settle()
    expect(membership(a).self().incarnation).toBe(earlier.incarnation + 1)
  })

  it('accepts a heartbeat without persisting it, and persists a new member', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await startNode(cluster, 'a')
    const x = record('x')
    await membership(a).handleAnnounce('x', { record: x, signature: await signedBy('x', x) })
    await settle()
    const stored = await a.storage.get('meta', 'member/x')
    expect(stored).toBeDefined()
    const beat = nextHeartbeat(x)
    await membership(a).handleAnnounce('x', { record: beat, signature: await signedBy('x', beat) })
    await settle()
    expect(membership(a).members().find((m) => m.id === 'x')?.heartbeat).toBe(1)
    expect(await a.storage.get('meta', 'member/x')).toEqual(stored)
  })
})
