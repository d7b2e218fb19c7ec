/**
 * Sybils and a record flood against 3 real daemons of one cluster: three peers built from
 * the project's own libp2p adapter, each claiming weight 1000 with a self-signed record and
 * no admission, gossip themselves and answer every member pull with 4,000 more such records
 * signed by throw-away keys. Nothing changes: the honest daemons keep exactly their 3
 * members and their ring, hold their data, and every key reads back.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeRecord, newMemberRecord, recordDigest } from '@ringstore/core'
import type { MemberRecord, Request, Response, SignedRecord } from '@ringstore/core'
import { Libp2pNetwork, createNodeLibp2p, loadOrCreatePrivateKey } from '@ringstore/net-libp2p/node'
import type { NetworkHandlers } from '@ringstore/peer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, get, metrics, poll, put, startCluster } from './support.js'
import type { Daemon } from './support.js'
import { ringOf, statusJson } from './ring-status.js'

const FLOOD = 4_000
const SYBILS = 3
const fixture = new Fixture()
let honest: Daemon[]
const sybils: Libp2pNetwork[] = []

/** A record of `id` with weight 1000, signed by `sign` (its own key: valid, just not admitted). */
async function selfSigned (record: MemberRecord, sign: (data: Uint8Array) => Promise<Uint8Array>): Promise<SignedRecord> {
  return { record, signature: await sign(encodeRecord(record)) }
}

/** A fresh Ed25519 identity, through the adapter's own key store (a scratch directory). */
async function freshKey (): ReturnType<typeof loadOrCreatePrivateKey> {
  return await loadOrCreatePrivateKey(await mkdtemp(join(tmpdir(), 'ringstore-sybil-')))
}

async function floodRecords (): Promise<SignedRecord[]> {
  // Throw-away identities: one key signs all (the records claim other ids, so each fails its
  // own signature check too, cheaply; the admission check refuses them first either way).
  const key = await freshKey()
  const out: SignedRecord[] = []
  for (let i = 0; i < FLOOD; i++) {
    const record = newMemberRecord({ id: `12D3KooWflood${i.toString().padStart(6, '0')}`, addrs: [], weight: 1000, zone: 'default', joinedAt: 1 })
    out.push(await selfSigned(record, async (data) => await key.sign(data)))
  }
  return out
}

beforeAll(async () => {
  honest = await startCluster(fixture, 'sy', 3, ['--n', '3', '--r', '3', '--w', '3'])
  for (let i = 0; i < 30; i++) expect((await put(honest[0] as Daemon, `sybil-${i}`, `v${i}`)).status).toBe(204)
}, 60_000)
afterAll(async () => {
  for (const network of sybils) await network.stop().catch(() => undefined)
  await fixture.killAll()
})

describe('Sybils and a 4,000-record flood', () => {
  it('change nothing: same members, same ring, same data', async () => {
    const before = await Promise.all(honest.map(async (d) => await statusJson(d)))
    const ringBefore = ringOf(before[0] as Awaited<ReturnType<typeof statusJson>>)
    const flood = await floodRecords()
    for (let s = 0; s < SYBILS; s++) {
      const privateKey = await freshKey()
      const node = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'], privateKey })
      const network = new Libp2pNetwork(node, { cluster: 'ringstore' })
      sybils.push(network)
      const id = network.localPeer
      let heartbeat = 0
      const own = async (): Promise<SignedRecord> => await selfSigned(
        { ...newMemberRecord({ id, addrs: node.getMultiaddrs().map(String), weight: 1000, zone: 'default', joinedAt: 1 }), heartbeat: ++heartbeat },
        async (data) => await privateKey.sign(data))
      const handlers: NetworkHandlers = {
        // Every table pull, whichever protocol asks it, gets the Sybil and the flood; the rest pretends to succeed.
        // A gossip round's record hashes name the Sybil and the flood, so that the fetch asks for them all.
        onRequest: async (_from: string, request: Request): Promise<Response> =>
          request.type === 'members-hashes'
            ? { type: 'hashes', hashes: [await own(), ...flood].map((s) => recordDigest(s.record)) }
            : request.type === 'members-pull' || request.type === 'members-view' || request.type === 'members-digest' || request.type === 'members-fetch'
              ? { type: 'members', records: [await own(), ...flood] }
              : request.type === 'replica-put' || request.type === 'client-put' ? { type: 'clock', clock: null } : { type: 'ok' },
        onAnnounce: () => undefined,
        onPeerConnected: () => undefined,
        onPeerDisconnected: () => undefined
      }
      await network.start(handlers)
      for (const d of honest) await network.dial(d.tcp)
      for (let i = 0; i < 5; i++) network.announce(await own())
    }
    // The daemons pulled the Sybils' tables on connect and heard their gossip: refused, counted.
    await poll('the Sybils\' gossip refused', async () => {
      let refused = 0
      for (const d of honest) refused += (await metrics(d)).get('ringstore_unadmitted_announcements_total') ?? 0
      return refused > 0
    })
    for (const [i, d] of honest.entries()) {
      const after = await statusJson(d)
      expect(after.members.map((m) => m.peerId).sort()).toEqual(honest.map((h) => h.peerId).sort())
      expect(ringOf(after).owners).toEqual(ringBefore.owners)
      expect(after.keys).toBe(before[i]?.keys)
      expect(after.hintsPending).toBe(0)
    }
    for (let i = 0; i < 30; i++) {
      const read = await get(honest[i % 3] as Daemon, `sybil-${i}`, { r: 3 })
      expect([read.status, new TextDecoder().decode(read.bytes)]).toEqual([200, `v${i}`])
    }
    // And a write still reaches all 3 honest replicas (W=3): no Sybil stands in.
    expect((await put(honest[1] as Daemon, 'after-the-flood', 'still ours', { w: 3 })).status).toBe(204)
  })
})
