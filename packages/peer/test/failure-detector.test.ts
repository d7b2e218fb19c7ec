import { describe, it, expect } from 'vitest'
import { newMemberRecord } from '@ringstore/core'
import type { MemberRecord, PeerId, Ring } from '@ringstore/core'
import type { MembershipView } from '../src/components.js'
import { LocalFailureDetector } from '../src/cluster/failure-detector.js'
import { settle } from '@ringstore/testkit'
import { TestCluster, recordRequests, ringOf, silentLogger } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'

/** Members a, b, c; 'x' talks to us but is no member. */
function membersView (ids: PeerId[]): MembershipView {
  const records: MemberRecord[] = ids.map((id) => newMemberRecord({ id, addrs: [], weight: 1, zone: 'z', joinedAt: 1 }))
  const ring: Ring = ringOf(ids, 16)
  return { self: () => records[0] as MemberRecord, members: () => records, member: (id) => records.find((r) => r.id === id), ring: () => ring, onRingChange: () => () => {} }
}

async function setup (): Promise<{ cluster: TestCluster, a: TestNode, detector: LocalFailureDetector }> {
  const cluster = new TestCluster({ probeIntervalMs: 1000, requestTimeoutMs: 300 })
  const view = membersView(['a', 'b', 'c'])
  const nodes = ['a', 'b', 'c', 'x'].map((id) => cluster.add(id, { membership: view }))
  for (const node of nodes) await cluster.startNetwork(node)
  await settle()
  const a = cluster.node('a')
  const detector = a.deps.detector as LocalFailureDetector
  detector.start()
  return { cluster, a, detector }
}

describe('LocalFailureDetector', () => {
  it('a lost connection marks only the peers it watches (watchesDisconnect); a failed request marks any member', async () => {
    const { cluster, a } = await setup()
    const detector = new LocalFailureDetector({
      id: 'a',
      config: { probeIntervalMs: 1000, requestTimeoutMs: 300 },
      clock: cluster.clock,
      network: a.network,
      log: silentLogger,
      membership: membersView(['a', 'b', 'c']),
      watchesDisconnect: (peer) => peer === 'b'
    })
    detector.onPeerDisconnected('c') // no business with c: its connection going says nothing we need
    expect(detector.isReachable('c')).toBe(true)
    detector.onPeerDisconnected('b')
    expect(detector.isReachable('b')).toBe(false)
    detector.reportFailure('c') // a request that fails is proof enough, watched or not
    expect(detector.unreachable()).toEqual(['b', 'c'])
  })

  it('marks a peer unreachable on failure and reachable on success, telling listeners once', async () => {
    const { detector } = await setup()
    const heard: PeerId[] = []
    detector.onReachable((peer) => heard.push(peer))
    expect(detector.isReachable('b')).toBe(true)
    detector.reportFailure('b')
    detector.reportFailure('b')
    expect(detector.isReachable('b')).toBe(false)
    expect(detector.unreachable()).toEqual(['b'])
    detector.reportSuccess('c') // was reachable: no event
    detector.reportSuccess('b')
    detector.reportSuccess('b')
    expect(detector.isReachable('b')).toBe(true)
    expect(heard).toEqual(['b'])
  })

  it('never marks itself unreachable', async () => {
    const { detector } = await setup()
    detector.reportFailure('a')
    detector.onPeerDisconnected('a')
    expect(detector.isReachable('a')).toBe(true)
  })

  it('follows connection events: down on disconnect, up on reconnect', async () => {
    const { cluster, detector } = await setup()
    const heard: PeerId[] = []
    detector.onReachable((peer) => heard.push(peer))
    cluster.hub.block('a', 'b')
    await settle()
    expect(detector.isReachable('b')).toBe(false)
    cluster.hub.unblock('a', 'b')
    await settle()
    expect(detector.isReachable('b')).toBe(true)
    expect(heard).toEqual(['b'])
  })

  it('keeps nothing about a client that disconnects (tabs come and go by the thousand)', async () => {
    const { detector } = await setup()
    detector.onPeerDisconnected('x')
    expect(detector.unreachable()).toEqual([])
    detector.onPeerDisconnected('b')
    expect(detector.unreachable()).toEqual(['b'])
  })

  it('probes unreachable members: a live one comes back, a silent one stays down', async () => {
    const { cluster, detector } = await setup()
    const heard: PeerId[] = []
    detector.onReachable((peer) => heard.push(peer))
    // b failed once (say a timeout) but its link is fine; c does not answer at all.
    detector.reportFailure('b')
    cluster.hub.stall('a', 'c')
    await settle()
    detector.reportFailure('c')
    const probes = recordRequests(cluster.node('a'))
    await cluster.clock.advance(1000)
    expect(detector.isReachable('b')).toBe(true)
    expect(heard).toEqual(['b'])
    await cluster.clock.advance(5000)
    expect(detector.isReachable('c')).toBe(false)
    // c is probed again on later ticks, b no more.
    expect(probes.every((m) => m.type === 'ping')).toBe(true)
    expect(probes.filter((m) => m.to === 'b')).toHaveLength(1)
    expect(probes.filter((m) => m.to === 'c').length).toBeGreaterThanOrEqual(3)
  })

  it('backs off from a member that stays silent: a probe per 2^(k-1) ticks, then one per PROBE_BACKOFF_MAX_TICKS', async () => {
    const { cluster, detector } = await setup()
    cluster.hub.stall('a', 'c')
    await settle()
    detector.reportFailure('c')
    const probes = recordRequests(cluster.node('a'))
    await cluster.clock.advance(200 * 1000) // about 200 ticks of 1000 ms
    // Ticks 1, 2, 4, 8, 16, 32, then every 32: 64, 96, 128, 160, 192 (it used to be every tick).
    expect(probes.filter((m) => m.to === 'c')).toHaveLength(11)
    expect(detector.isReachable('c')).toBe(false)
    // Back: its reconnection is seen at once, and a later failure is probed on the next tick again.
    cluster.hub.unblock('a', 'c')
    await settle()
    expect(detector.isReachable('c')).toBe(true)
    detector.reportFailure('c')
    const before = probes.length
    await cluster.clock.advance(1300) // the next tick (a tick whose probe timed out ends 300 ms late)
    expect(probes.slice(before).filter((m) => m.to === 'c')).toHaveLength(1)
    expect(detector.isReachable('c')).toBe(true)
  })

  it('a probe that times out does not undo a reconnection that came meanwhile', async () => {
    const { cluster, detector } = await setup()
    detector.reportFailure('b')
    cluster.hub.stall('a', 'b')
    await settle()
    const probes = recordRequests(cluster.node('a'))
    await cluster.clock.advance(1000) // the probe to b leaves and hangs
    expect(probes.filter((m) => m.to === 'b')).toHaveLength(1)
    detector.onPeerConnected('b') // fresher news: b is back
    expect(detector.isReachable('b')).toBe(true)
    await cluster.clock.advance(300) // the probe times out
    expect(detector.isReachable('b')).toBe(true)
  })

  it('does not probe peers that are not members, and stops probing when stopped', async () => {
    const { cluster, detector } = await setup()
    const sent = recordRequests(cluster.node('a'))
    detector.reportFailure('x')
    detector.reportFailure('b')
    cluster.hub.stall('a', 'b')
    await cluster.clock.advance(3000)
    expect(sent.filter((m) => m.to === 'x')).toHaveLength(0)
    expect(sent.filter((m) => m.to === 'b').length).toBeGreaterThan(0)
    // Nor is a non-member held unreachable at all: nobody routes to it (a client comes and goes).
    expect(detector.isReachable('x')).toBe(true)
    detector.stop()
    const before = sent.length
    await cluster.clock.advance(10_000)
    expect(sent.length).toBe(before)
  })
})
