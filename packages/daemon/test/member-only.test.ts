/**
 * Member-only replication against real daemons (docs/trust.md): a libp2p peer of the
 * test's own, no member of the cluster, sends every replication request type to each of 3
 * daemons, forged clocks and hints included. Every one is refused `forbidden` and counted
 * on /metrics; through the client surface, which it may use, forged clocks change nothing
 * of the members' data and the key stays writable. The data reads back unchanged.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { DvvSet, Request } from '@ringstore/core'
import { createNodeLibp2p } from '@ringstore/net-libp2p/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTEXT, Fixture, get, metrics, put, startCluster, status } from './support.js'
import type { Daemon } from './support.js'
import { openRpcStream } from './rpc-client.js'
import type { RpcStream } from './rpc-client.js'

const fixture = new Fixture()
// Capability keys: the client surface is open to them (per-key rights), so the forgeries
// below reach clientContribution; keys of members only are refused outright (last test).
const KEYS = Array.from({ length: 8 }, (_, i) => `cap/member-only-capability-${i}`)
let daemons: Daemon[]
let outsider: Awaited<ReturnType<typeof createNodeLibp2p>>
const streams = new Map<string, RpcStream>()

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const forbidden = (d: Daemon): Promise<number> => metrics(d).then((m) => m.get('ringstore_forbidden_requests_total') ?? 0)

beforeAll(async () => {
  daemons = await startCluster(fixture, 'mo', 3, ['--n', '3', '--r', '3', '--w', '3'])
  for (const key of KEYS) expect((await put(daemons[0] as Daemon, key, `original ${key}`)).status).toBe(204)
  outsider = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  await outsider.start()
  for (const d of daemons) {
    await outsider.dial(multiaddr(d.tcp))
    streams.set(d.peerId, await openRpcStream(outsider, d.peerId))
  }
}, 60_000)
afterAll(async () => {
  for (const stream of streams.values()) stream.abort()
  await outsider?.stop()
  await fixture.killAll()
})

function rpc (d: Daemon): RpcStream {
  const stream = streams.get(d.peerId)
  if (stream === undefined) throw new Error(`no stream to ${d.peerId}`)
  return stream
}

/** A key's version at `d`, read through the client surface (open to this peer). */
async function clockAt (d: Daemon, key: string): Promise<DvvSet> {
  const reply = await rpc(d).request({ type: 'client-get', key })
  if (reply.type !== 'clock' || reply.clock === null) throw new Error(`no version of ${key} at ${d.name}: ${JSON.stringify(reply)}`)
  return reply.clock
}

async function everyKeyReadsOriginal (): Promise<void> {
  for (const d of daemons) {
    for (const key of KEYS.slice(1)) {
      const read = await get(d, key, { r: 3 })
      expect([read.status, new TextDecoder().decode(read.bytes)], `${key} at ${d.name}`).toEqual([200, `original ${key}`])
    }
    expect((await status(d)).hintsPending).toBe(0)
  }
}

describe('an outsider', () => {
  it('is refused every replication request by every daemon, counted, and changes nothing', async () => {
    const [key, other] = KEYS as [string, string]
    const actor = (await clockAt(daemons[0] as Daemon, key)).entries[0]?.actor ?? 'missing'
    const erase: DvvSet = { entries: [{ actor, counter: 2 ** 53 - 2, values: [], ts: 1 }], anonymous: [] }
    const plant: DvvSet = { entries: [{ actor, counter: 2, values: [{ value: bytes('planted'), ts: 2 ** 40 }], ts: 1 }], anonymous: [] }
    const requests: Request[] = [
      { type: 'replica-get', key },
      { type: 'replica-get-many', keys: KEYS },
      { type: 'replica-digest', key },
      { type: 'replica-put', key, clock: erase },
      { type: 'replica-put', key: 'parked', clock: plant, hintFor: 'a-peer-that-never-existed' },
      { type: 'replica-put-many', items: [[key, plant], [other, erase]] },
      { type: 'ae-roots', partitions: [0, 1, 2, 3] },
      { type: 'ae-nodes', partition: 0, level: 0, indices: [0] },
      { type: 'ae-buckets', partition: 0, buckets: [0, 1] },
      { type: 'members-pull' },
      { type: 'coordinate-put', key, value: bytes('forged'), context: [[actor, 2 ** 53 - 2]], n: 3, w: 1, ts: 1 }
    ]
    for (const d of daemons) {
      const before = await forbidden(d)
      for (const request of requests) {
        expect(await rpc(d).request(request), `${request.type} at ${d.name}`).toMatchObject({ type: 'error', code: 'forbidden' })
      }
      expect(await forbidden(d)).toBe(before + requests.length)
    }
    await everyKeyReadsOriginal()
    const read = await get(daemons[1] as Daemon, key, { r: 3 })
    expect(new TextDecoder().decode(read.bytes)).toBe(`original ${key}`)
  })

  it('through the client surface, cannot poison, plant or erase, and the key stays writable', async () => {
    const [key, other] = KEYS as [string, string]
    const actor = (await clockAt(daemons[0] as Daemon, key)).entries[0]?.actor ?? 'missing'
    const own = `${outsider.peerId.toString()}:0`
    const mine = { actor: own, counter: 1, values: [{ value: bytes('mine'), ts: 5 }], ts: 5 }
    const poison: DvvSet = { entries: [{ actor, counter: 2 ** 53 - 2, values: [], ts: 1 }, mine].sort((a, b) => a.actor < b.actor ? -1 : 1), anonymous: [] }
    const plant: DvvSet = { entries: [{ actor, counter: 2, values: [{ value: bytes('planted'), ts: 2 ** 40 }], ts: 1 }], anonymous: [{ value: bytes('anonymous'), ts: 1 }] }
    const erase: DvvSet = { entries: [{ actor, counter: 1, values: [], ts: 1 }], anonymous: [] }
    for (const d of daemons) {
      expect(await rpc(d).request({ type: 'client-put', key, clock: poison })).toEqual({ type: 'clock', clock: null })
      expect(await rpc(d).request({ type: 'client-put', key: other, clock: plant })).toEqual({ type: 'clock', clock: null })
      expect(await rpc(d).request({ type: 'client-put-many', items: [[other, erase], [key, erase]] })).toEqual({ type: 'ok' })
      expect(await rpc(d).request({ type: 'client-put', key: 'cap/parked-capability-0000000', clock: poison, hintFor: 'a-peer-that-never-existed' })).toMatchObject({ type: 'error', code: 'bad-request' })
      // A key of members only: refused whatever the clock (per-key rights).
      expect(await rpc(d).request({ type: 'client-put', key: 'orders/1', clock: { entries: [mine], anonymous: [] } })).toMatchObject({ type: 'error', code: 'forbidden' })
      expect(await rpc(d).request({ type: 'client-get', key: 'orders/1' })).toMatchObject({ type: 'error', code: 'forbidden' })
    }
    // The member's value stands everywhere, its counter untouched; the client's own value
    // joined it as a sibling (its claim to have superseded the member's was not taken).
    for (const d of daemons) {
      const clock = await clockAt(d, key)
      expect(clock.entries.find((e) => e.actor === actor)?.counter).toBe(1)
      expect(clock.anonymous).toEqual([])
      expect((await clockAt(d, other)).entries.map((e) => [e.actor, e.counter, e.values.length])).toEqual([[actor, 1, 1]])
    }
    const read = await get(daemons[2] as Daemon, key, { r: 3 })
    expect(read.status).toBe(300)
    // A member writes the key over both: no overflow, one value left.
    const written = await put(daemons[2] as Daemon, key, 'merged by a member', { context: read.headers.get(CONTEXT) ?? '' })
    expect(written.status).toBe(204)
    const after = await get(daemons[0] as Daemon, key, { r: 3 })
    expect([after.status, new TextDecoder().decode(after.bytes)]).toEqual([200, 'merged by a member'])
    await everyKeyReadsOriginal()
  })
})
