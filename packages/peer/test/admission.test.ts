/**
 * Membership in a cluster that requires admission: only records carrying an admission the
 * cluster's authority signed, for that peer, its weight, zone and join time, are members.
 * A rogue peer (any weight), forged or stretched certificates and another cluster's peers
 * change nothing: they own no partition, are not relayed, and are callers of role 'client'.
 */
import { describe, expect, it } from 'vitest'
import { encodeAdmission, encodeRecord, encodeRemoval, newMemberRecord } from '@ringstore/core'
import type { Admission, MemberRecord, PeerId, Removal, SignedAdmission, SignedRemoval } from '@ringstore/core'
import { TestSigner, settle } from '@ringstore/testkit'
import { Membership } from '../src/cluster/membership.js'
import { ConfigError, checkAdmission, resolveConfig } from '../src/config.js'
import { InvalidRemovalError } from '../src/errors.js'
import type { PeerConfig } from '../src/config.js'
import { TestCluster } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'

const CLUSTER = 'authority-A'
const CONFIG: Partial<PeerConfig> = { q: 64, heartbeatIntervalMs: 1000, probeIntervalMs: 1000 }
const ISSUED_AT = 1_000

async function admission (peer: PeerId, fields: Partial<Admission> = {}, signer: PeerId = CLUSTER): Promise<SignedAdmission> {
  const admitted: Admission = { cluster: CLUSTER, peer, maxWeight: 1, zone: 'default', issuedAt: ISSUED_AT, ...fields }
  return { admission: admitted, signature: await new TestSigner(signer).sign(encodeAdmission(admitted)) }
}

function membership (node: TestNode): Membership {
  return node.deps.membership as Membership
}

async function start (cluster: TestCluster, id: PeerId, options: { seeds?: string[], clusterId?: string, weight?: number, admission?: SignedAdmission } = {}): Promise<TestNode> {
  const config: Partial<PeerConfig> = { seeds: options.seeds ?? [], weight: options.weight ?? 1, ...(options.clusterId === undefined ? {} : { clusterId: options.clusterId }) }
  const node = cluster.add(id, { config })
  node.deps.addrs = [`/mem/${id}`]
  if (options.admission !== undefined) node.deps.admission = options.admission
  node.deps.membership = new Membership(node.deps)
  await cluster.startNetwork(node)
  await membership(node).start()
  await settle()
  return node
}

const ids = (node: TestNode): PeerId[] => membership(node).members().map((m) => m.id)
const owners = (node: TestNode): Set<PeerId | null> => new Set(membership(node).ring().owners)

async function signed (r: MemberRecord, extra: { admission?: SignedAdmission } = {}): Promise<{ record: MemberRecord, signature: Uint8Array, admission?: SignedAdmission }> {
  return { record: r, signature: await new TestSigner(r.id).sign(encodeRecord(r)), ...extra }
}

describe('admission', () => {
  it('a rogue peer of any weight, bootstrapped into an admitted cluster, is no member and owns nothing', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await start(cluster, 'a', { clusterId: CLUSTER, admission: await admission('a') })
    const b = await start(cluster, 'b', { seeds: ['a'], clusterId: CLUSTER, admission: await admission('b') })
    // An open peer (no cluster id, no admission) with a huge weight, joining through a.
    await start(cluster, 'rogue', { seeds: ['a'], weight: 1000 })
    await cluster.clock.advance(5_000)
    for (const node of [a, b]) {
      expect(ids(node)).toEqual(['a', 'b'])
      expect(owners(node)).toEqual(new Set(['a', 'b']))
      expect(membership(node).signedRecords().map((s) => s.record.id).sort()).toEqual(['a', 'b'])
      expect(membership(node).roleOf('rogue')).toBe('client')
      expect(membership(node).roleOf('b')).toBe('member')
    }
    // The admitted members' own records carry their certificates; they join when they start
    // (after every event they learnt of), never before their admission was issued.
    expect(membership(a).self().joinedAt).toBe(cluster.clock.now() - 5_000)
    expect(membership(a).self().joinedAt).toBeGreaterThanOrEqual(ISSUED_AT)
    expect(membership(b).signedRecords().find((s) => s.record.id === 'a')?.admission?.admission.peer).toBe('a')
  })

  it('a restarted member keeps the admitted members it stored, certificates included', async () => {
    const cluster = new TestCluster(CONFIG)
    await start(cluster, 'a', { clusterId: CLUSTER, admission: await admission('a') })
    const b = await start(cluster, 'b', { seeds: ['a'], clusterId: CLUSTER, admission: await admission('b') })
    expect(ids(b)).toEqual(['a', 'b'])
    membership(b).stop()
    // b comes back over the same storage with no seed, cut off from a: only what it stored counts.
    cluster.hub.isolate('b2')
    const config: Partial<PeerConfig> = { seeds: [], weight: 1, clusterId: CLUSTER }
    const again = cluster.add('b2', { config, storage: b.storage })
    const restarted = new Membership({ ...again.deps, id: 'b', admission: await admission('b') })
    await restarted.start()
    expect(restarted.members().map((m) => m.id)).toEqual(['a', 'b'])
    expect(restarted.roleOf('a')).toBe('member')
    expect(new Set(restarted.ring().owners)).toEqual(new Set(['a', 'b']))
    restarted.stop()
  })

  it('refuses forged, stretched, borrowed and back-dated certificates; accepts a valid one', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await start(cluster, 'a', { clusterId: CLUSTER, admission: await admission('a') })
    const x = (changes: Partial<MemberRecord> = {}): MemberRecord => ({ ...newMemberRecord({ id: 'x', addrs: [], weight: 1, zone: 'default', joinedAt: ISSUED_AT }), ...changes })
    const attacks = [
      await signed(x()), // no admission at all
      await signed(x(), { admission: await admission('x', {}, 'impostor') }), // signed by someone else
      await signed(x(), { admission: await admission('x', { cluster: 'authority-B' }, 'authority-B') }), // another cluster's
      await signed(x({ weight: 1000 }), { admission: await admission('x') }), // weight above the admitted
      await signed(x({ zone: 'elsewhere' }), { admission: await admission('x') }), // another zone
      await signed(x(), { admission: await admission('a') }), // a's certificate, borrowed
      await signed(x({ joinedAt: 1 }), { admission: await admission('x') }), // back-dated join
      // A later join with an earlier stint back-dated before the admission.
      await signed(x({ joinedAt: ISSUED_AT + 10, stints: [{ joinedAt: 1, leftAt: 2, weight: 1, zone: 'default' }] }), { admission: await admission('x') })
    ]
    for (const attack of attacks) expect(await membership(a).acceptSigned([attack]), JSON.stringify(attack.record)).toBe(0)
    expect(ids(a)).toEqual(['a'])
    expect(await membership(a).acceptSigned([await signed(x(), { admission: await admission('x') })])).toBe(1)
    expect(ids(a)).toEqual(['a', 'x'])
  })

  it('a member admitted long ago joins a running cluster after its members: the ring moves only its share', async () => {
    const cluster = new TestCluster({ ...CONFIG, q: 256 })
    const nodes: TestNode[] = []
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      await cluster.clock.advance(10_000)
      nodes.push(await start(cluster, id, { seeds: nodes.length === 0 ? [] : ['a'], clusterId: CLUSTER, admission: await admission(id, { issuedAt: cluster.clock.now() }) }))
    }
    const a = nodes[0] as TestNode
    const before = membership(a).ring()
    await cluster.clock.advance(10_000)
    // Admitted at ISSUED_AT, before every member here joined: its join once took that time
    // and refolded the ring from the start.
    const late = await start(cluster, 'late', { seeds: ['a'], clusterId: CLUSTER, admission: await admission('late') })
    await cluster.clock.advance(5_000)
    expect(membership(late).self().joinedAt).toBeGreaterThan(Math.max(...membership(a).members().filter((m) => m.id !== 'late').map((m) => m.joinedAt)))
    const after = membership(a).ring()
    expect(after.owners).toEqual(membership(late).ring().owners)
    const share = after.owners.filter((o) => o === 'late').length
    expect(share).toBeGreaterThan(0)
    expect(after.owners.filter((o, p) => o !== before.owners[p]).length).toBe(share)
  })

  it('two clusters with different authorities, bootstrapped at each other, stay two', async () => {
    const cluster = new TestCluster(CONFIG)
    const other = 'authority-B'
    const inB = async (peer: PeerId): Promise<SignedAdmission> => await admission(peer, { cluster: other }, other)
    const a1 = await start(cluster, 'a1', { clusterId: CLUSTER, admission: await admission('a1') })
    const b1 = await start(cluster, 'b1', { seeds: ['a1'], clusterId: other, admission: await inB('b1') })
    const a2 = await start(cluster, 'a2', { seeds: ['b1'], clusterId: CLUSTER, admission: await admission('a2') })
    const b2 = await start(cluster, 'b2', { seeds: ['a1', 'a2'], clusterId: other, admission: await inB('b2') })
    await cluster.clock.advance(5_000)
    expect(ids(a1)).toEqual(['a1', 'a2'])
    expect(ids(a2)).toEqual(['a1', 'a2'])
    expect(ids(b1)).toEqual(['b1', 'b2'])
    expect(ids(b2)).toEqual(['b1', 'b2'])
  })

  it('an open cluster (no cluster id) takes records with or without admission, as before', async () => {
    const cluster = new TestCluster(CONFIG)
    const a = await start(cluster, 'a')
    await start(cluster, 'b', { seeds: ['a'] })
    await start(cluster, 'c', { seeds: ['a'], clusterId: CLUSTER, admission: await admission('c') })
    await cluster.clock.advance(5_000)
    expect(ids(a)).toEqual(['a', 'b', 'c'])
  })
})

async function removal (peer: PeerId, fields: Partial<Removal> = {}, signer: PeerId = CLUSTER): Promise<SignedRemoval> {
  const removed: Removal = { cluster: CLUSTER, peer, removedAt: 50_000, ...fields }
  return { removal: removed, signature: await new TestSigner(signer).sign(encodeRemoval(removed)) }
}

describe('removal by the operator', () => {
  async function threeMembers () {
    const cluster = new TestCluster(CONFIG)
    const a = await start(cluster, 'a', { clusterId: CLUSTER, admission: await admission('a') })
    const b = await start(cluster, 'b', { seeds: ['a'], clusterId: CLUSTER, admission: await admission('b') })
    const c = await start(cluster, 'c', { seeds: ['a'], clusterId: CLUSTER, admission: await admission('c', { issuedAt: ISSUED_AT + 1 }) })
    await cluster.clock.advance(2_000)
    for (const node of [a, b, c]) expect(ids(node)).toEqual(['a', 'b', 'c'])
    return { cluster, a, b, c }
  }

  it('a removed member leaves every ring, is refused from then on, and stays removed across a restart', async () => {
    const { cluster, a, b } = await threeMembers()
    // c keeps running and heartbeating: a removal does not depend on its cooperation.
    const removed = await removal('c')
    expect(await membership(a).acceptRemoval(removed)).toBe(true)
    expect(await membership(a).acceptRemoval(removed)).toBe(false)
    a.network.announceRemoval(removed)
    await settle()
    await cluster.clock.advance(5_000)
    for (const node of [a, b]) {
      expect(owners(node)).toEqual(new Set(['a', 'b']))
      expect(membership(node).members().find((m) => m.id === 'c')).toMatchObject({ status: 'left', leftAt: 50_000 })
      expect(membership(node).roleOf('c')).toBe('outsider')
      expect(membership(node).removals().map((r) => r.removal.peer)).toEqual(['c'])
    }
    // a comes back over its own storage, cut off from everyone: the removal was kept.
    membership(a).stop()
    cluster.hub.isolate('a2')
    const again = cluster.add('a2', { config: { seeds: [], weight: 1, clusterId: CLUSTER }, storage: a.storage })
    const restarted = new Membership({ ...again.deps, id: 'a', admission: await admission('a') })
    await restarted.start()
    expect(new Set(restarted.ring().owners)).toEqual(new Set(['a', 'b']))
    expect(restarted.roleOf('c')).toBe('outsider')
    restarted.stop()
  })

  it('reaches a member that missed the gossip through its next pull', async () => {
    const { cluster, a, b } = await threeMembers()
    cluster.hub.isolate('b')
    await membership(a).acceptRemoval(await removal('c'))
    await settle()
    expect(owners(b)).toEqual(new Set(['a', 'b', 'c']))
    cluster.hub.healAll()
    expect(await membership(b).pull('a')).toBe(true)
    expect(owners(b)).toEqual(new Set(['a', 'b']))
    expect(membership(b).roleOf('c')).toBe('outsider')
  })

  it('a member that joins after the removal holds the removed member as left, and computes the same ring', async () => {
    const { cluster, a } = await threeMembers()
    const removed = await removal('c', { removedAt: cluster.clock.now() })
    await membership(a).acceptRemoval(removed)
    a.network.announceRemoval(removed)
    await settle()
    const d = await start(cluster, 'd', { seeds: ['a'], clusterId: CLUSTER, admission: await admission('d', { issuedAt: ISSUED_AT + 2 }) })
    await cluster.clock.advance(3_000)
    expect(membership(d).members().find((m) => m.id === 'c')).toMatchObject({ status: 'left' })
    expect(membership(d).ring().owners).toEqual(membership(a).ring().owners)
    expect(owners(d)).toEqual(new Set(['a', 'b', 'd']))
  })

  it('reaches a member that lost the first gossip, without a reconnect, as the holders gossip it again', async () => {
    const { cluster, a, b } = await threeMembers()
    // a takes it, and its first gossip is lost (never sent): b only hears a's later rounds.
    await membership(a).acceptRemoval(await removal('c', { removedAt: cluster.clock.now() }))
    await settle()
    expect(membership(b).roleOf('c')).toBe('member')
    await cluster.clock.advance(6 * 1_000)
    expect(membership(b).roleOf('c')).toBe('outsider')
    expect(owners(b)).toEqual(new Set(['a', 'b']))
  })

  it('refuses a removal not signed by the cluster\'s authority, or for another cluster; nothing changes', async () => {
    const { a } = await threeMembers()
    const forgeries = [await removal('c', {}, 'c'), await removal('c', { cluster: 'authority-B' }, 'authority-B'), { ...(await removal('c')), removal: { cluster: CLUSTER, peer: 'b', removedAt: 50_000 } }]
    for (const forged of forgeries) await expect(membership(a).acceptRemoval(forged)).rejects.toThrow(InvalidRemovalError)
    expect(owners(a)).toEqual(new Set(['a', 'b', 'c']))
    expect(membership(a).removals()).toEqual([])
    expect(membership(a).roleOf('c')).toBe('member')
  })
})

describe('checkAdmission (at Peer construction)', () => {
  const config = (changes: Partial<PeerConfig> = {}): PeerConfig => resolveConfig({ clusterId: CLUSTER, ...changes })
  it('a member of a cluster that requires admission needs a certificate that fits it; a client (weight 0) does not', async () => {
    expect(() => { checkAdmission(config(), 'a', undefined) }).toThrow(/needs an admission certificate/)
    expect(() => { checkAdmission(config({ weight: 0 }), 'a', undefined) }).not.toThrow()
    expect(() => { checkAdmission(config(), 'a', undefined) }).toThrow(ConfigError)
    const forA = await admission('a')
    expect(() => { checkAdmission(config(), 'a', forA) }).not.toThrow()
    expect(() => { checkAdmission(config(), 'b', forA) }).toThrow(/for a, not b/)
    expect(() => { checkAdmission(config({ weight: 2 }), 'a', forA) }).toThrow(/weight 2 is above the admitted 1/)
    expect(() => { checkAdmission(config({ zone: 'z2' }), 'a', forA) }).toThrow(/zone/)
    expect(() => { checkAdmission(resolveConfig({}), 'a', forA) }).toThrow(/no clusterId/)
  })
})
