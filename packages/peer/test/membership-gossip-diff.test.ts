/**
 * A gossip round between tables that differ moves the records that differ, not the whole
 * digest bucket they sit in (members-hashes, members-fetch; issue 13). The peers answer
 * gossip with the router's own protocols (PROTOCOLS), so an "older peer" is one whose
 * table lacks the new request types: it refuses them as unknown, as an older version does.
 */
import { describe, expect, it } from 'vitest'
import { digestBucket, encodeRecord, newMemberRecord } from '@ringstore/core'
import type { MemberRecord, PeerId, Request, SignedRecord } from '@ringstore/core'
import { TestSigner, settle } from '@ringstore/testkit'
import type { PeerConfig } from '../src/config.js'
import { PROTOCOLS } from '../src/protocol/router.js'
import type { ProtocolServices } from '../src/protocol/router.js'
import { TestCluster } from './cluster-harness.js'
import type { TestNode } from './cluster-harness.js'
import { Membership } from '../src/cluster/membership.js'
import { membership } from './membership-harness.js'

const CONFIG: Partial<PeerConfig> = { q: 64, heartbeatIntervalMs: 1000, probeIntervalMs: 1000 }
/** Records in the one crowded digest bucket: a 2,500-member table holds about 40 per bucket. */
const CROWD = 40

/** Ids `m<i>` that fall in one digest bucket, `count` of them. */
function sameBucketIds (count: number): PeerId[] {
  const bucket = digestBucket('m0')
  const out: PeerId[] = []
  for (let i = 0; out.length < count; i++) if (digestBucket(`m${i}`) === bucket) out.push(`m${i}`)
  return out
}

async function signed (record: MemberRecord): Promise<SignedRecord> {
  return { record, signature: await new TestSigner(record.id).sign(encodeRecord(record)) }
}

function member (id: PeerId, changes: Partial<MemberRecord> = {}): MemberRecord {
  return { ...newMemberRecord({ id, addrs: [], weight: 1, zone: 'z', joinedAt: 5 }), ...changes }
}

/** What one node's gossip cost: records it served in `members` replies, and signatures it checked. */
interface Costs { served: number, verified: number }

/**
 * `node` answers the membership gossip requests with the router's protocols (all but
 * `unknown`, answered `bad-request` like a request type an older peer's codec does not know),
 * counting what it serves and verifies.
 */
function serveGossip (node: TestNode, unknown: ReadonlyArray<Request['type']> = []): Costs {
  const costs: Costs = { served: 0, verified: 0 }
  node.intercept = async (from, request) => {
    if (!request.type.startsWith('members-') || request.type === 'members-view') return undefined
    const protocol = unknown.includes(request.type) ? undefined : PROTOCOLS.get(request.type)
    if (protocol === undefined) return { type: 'error', code: 'bad-request', message: `unknown request type ${request.type}` }
    const response = await protocol.serve({ membership: membership(node) } as unknown as ProtocolServices, request, from)
    if (response.type === 'members') costs.served += response.records.length
    return response
  }
  const signer = node.deps.signer
  const verify = signer.verify.bind(signer)
  signer.verify = async (id, bytes, signature) => { costs.verified++; return await verify(id, bytes, signature) }
  return costs
}

/** A node running Membership that serves gossip (serveGossip) from its start. */
async function startGossiper (cluster: TestCluster, id: PeerId, seeds: string[], unknown: ReadonlyArray<Request['type']> = []): Promise<{ node: TestNode, costs: Costs }> {
  const node = cluster.add(id, { config: { seeds } })
  node.deps.addrs = [`/mem/${id}`]
  node.deps.membership = new Membership(node.deps)
  const costs = serveGossip(node, unknown)
  await cluster.startNetwork(node)
  await membership(node).start()
  await settle()
  return { node, costs }
}

/** Peers a and b, both holding CROWD records of one digest bucket; their costs count from here. */
async function crowdedPair (unknownToB: ReadonlyArray<Request['type']> = []): Promise<{ cluster: TestCluster, a: TestNode, b: TestNode, ids: PeerId[], costsA: Costs, costsB: Costs }> {
  const cluster = new TestCluster(CONFIG)
  const { node: a, costs: costsA } = await startGossiper(cluster, 'a', [])
  const { node: b, costs: costsB } = await startGossiper(cluster, 'b', ['a'], unknownToB)
  const ids = sameBucketIds(CROWD + 1)
  const crowd = await Promise.all(ids.slice(0, CROWD).map(async (id) => await signed(member(id))))
  expect(await membership(a).acceptSigned(crowd)).toBe(CROWD)
  expect(await membership(b).acceptSigned(crowd)).toBe(CROWD)
  expect(membership(a).digest()).toEqual(membership(b).digest())
  for (const costs of [costsA, costsB]) {
    costs.served = 0
    costs.verified = 0
  }
  return { cluster, a, b, ids, costsA, costsB }
}

/** Records b holds in the crowded bucket. */
function bucketSize (node: TestNode): number {
  return membership(node).members().filter((m) => digestBucket(m.id) === digestBucket('m0')).length
}

describe('a gossip round between tables that differ in one record', () => {
  it('moves that one record, not its bucket, and checks one signature', async () => {
    const { a, b, ids, costsA, costsB } = await crowdedPair()
    // b learnt of one more member in the crowded bucket; a has not.
    await membership(b).acceptSigned([await signed(member(ids[CROWD] as PeerId))])
    costsB.verified = 0 // b's own check of the record it learnt
    expect(membership(a).digest()).not.toEqual(membership(b).digest())
    // One gossip exchange of a's with b (and b's push half back to a).
    expect(await membership(a).pull('b')).toBe(true)
    await settle()
    expect(membership(a).member(ids[CROWD] as PeerId)).toBeDefined()
    expect(membership(a).digest()).toEqual(membership(b).digest())
    // Whole buckets (members-digest) served CROWD + 1 records to a, and b's pull back CROWD.
    expect(costsB.served).toBe(1)
    expect(costsA.served).toBe(0)
    expect(costsA.verified).toBe(1)
    expect(costsB.verified).toBe(0)
  })

  it('a newer version moves to the peer holding the older one; the older one back at most once, refused unchecked', async () => {
    const { a, b, ids, costsA, costsB } = await crowdedPair()
    const id = ids[3] as PeerId
    await membership(b).acceptSigned([await signed(member(id, { incarnation: 1 }))])
    costsB.verified = 0 // b's own check of the record it learnt
    expect(await membership(a).pull('b')).toBe(true)
    await settle()
    expect(membership(a).member(id)?.incarnation).toBe(1)
    expect(membership(a).digest()).toEqual(membership(b).digest())
    expect(costsB.served).toBe(1)
    // b's push half may ask a before a took the newer one: a's older version (b cannot tell
    // it is older from its record digest), which b refuses before any signature check.
    expect(costsA.served).toBeLessThanOrEqual(1)
    expect(costsA.verified).toBe(1)
    expect(costsB.verified).toBe(0)
  })
})

describe('gossip with a peer older than members-hashes', () => {
  it('falls back to members-digest (whole buckets), converges, and asks it members-digest from then on', async () => {
    const { cluster, a, b, ids, costsB } = await crowdedPair(['members-hashes', 'members-fetch'])
    // a asked b members-hashes once, at b's first connection, and b refused it.
    const hashes = cluster.sentCount('members-hashes', 'a')
    const digests = cluster.sentCount('members-digest', 'a')
    expect(hashes).toBe(1)
    await membership(b).acceptSigned([await signed(member(ids[CROWD] as PeerId))])
    expect(await membership(a).pull('b')).toBe(true)
    await settle()
    expect(membership(a).digest()).toEqual(membership(b).digest())
    // The older peer answered the digest with its whole bucket.
    expect(costsB.served).toBe(bucketSize(b))
    expect(cluster.sentCount('members-hashes', 'a')).toBe(hashes)
    expect(cluster.sentCount('members-digest', 'a')).toBe(digests + 1)
    await membership(b).acceptSigned([await signed(member(ids[0] as PeerId, { incarnation: 1 }))])
    expect(await membership(a).pull('b')).toBe(true)
    await settle()
    expect(membership(a).member(ids[0] as PeerId)?.incarnation).toBe(1)
    expect(cluster.sentCount('members-hashes', 'a')).toBe(hashes)
    expect(cluster.sentCount('members-digest', 'a')).toBe(digests + 2)
  })

  it('asks an older peer members-hashes again once it restarted (a new incarnation may be an upgrade)', async () => {
    const { cluster, a, b } = await crowdedPair(['members-hashes', 'members-fetch'])
    const hashes = cluster.sentCount('members-hashes', 'a')
    expect(await membership(a).pull('b')).toBe(true)
    expect(cluster.sentCount('members-hashes', 'a')).toBe(hashes)
    const restarted = { ...membership(b).self(), incarnation: membership(b).self().incarnation + 1 }
    expect(await membership(a).acceptSigned([await signed(restarted)])).toBe(1)
    expect(await membership(a).pull('b')).toBe(true)
    expect(cluster.sentCount('members-hashes', 'a')).toBe(hashes + 1)
  })

  it('an older peer\'s members-digest is still answered with the records of the differing buckets', async () => {
    const { a, b, ids } = await crowdedPair()
    await membership(b).acceptSigned([await signed(member(ids[CROWD] as PeerId))])
    const services = { membership: membership(b) } as unknown as ProtocolServices
    const answer = await PROTOCOLS.get('members-digest')?.serve(services, { type: 'members-digest', digest: membership(a).digest().slice() }, 'a')
    expect(answer?.type).toBe('members')
    const records = answer?.type === 'members' ? answer.records.map((s) => s.record.id) : []
    expect(records).toHaveLength(bucketSize(b))
    expect(records).toContain(ids[CROWD])
  })
})
