/**
 * A peer that asks for a large value again and again and never reads the replies: the
 * daemon's memory stays bounded (net-libp2p's unsent-reply bounds, README "RPC limits"),
 * the limit is counted on /metrics, and the daemon goes on serving. Before those bounds,
 * 500 such requests for a 1 MiB value grew a daemon by ~529 MB.
 */
import { readFile } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { encodeFrame } from '@ringstore/core'
import { RPC_PROTOCOL, createNodeLibp2p } from '@ringstore/net-libp2p/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, get, http, metrics, poll } from './support.js'
import type { Daemon } from './support.js'
import { lengthPrefixed } from './rpc-client.js'

const MiB = 1024 * 1024
/** A capability key: a client may read it (per-key rights, core's key-rights.ts). */
const BIG = 'cap/unread-replies-capability-0'
const fixture = new Fixture()
let d: Daemon
let client: Awaited<ReturnType<typeof createNodeLibp2p>>

beforeAll(async () => {
  d = await fixture.start('unread', ['--n', '1', '--r', '1', '--w', '1'])
  expect((await http(d.http, 'PUT', `/kv/${encodeURIComponent(BIG)}`, { body: new Uint8Array(MiB - 1024).fill(7) })).status).toBe(204)
  client = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  await client.start()
  await client.dial(multiaddr(d.tcp))
})
afterAll(async () => {
  await client.stop()
  await fixture.killAll()
})

/** The daemon's resident memory in bytes (Linux). */
async function rss (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  if (kb === undefined) throw new Error('no VmRSS')
  return Number(kb) * 1024
}

const paused = (m: Map<string, number>): number => m.get('ringstore_rpc_limit_hits_total{limit="reply-backlog-pause"}') ?? 0

describe('a peer that never reads its replies', () => {
  it('costs the daemon a bounded amount of memory, is counted, and the daemon goes on serving', async () => {
    const pid = d.process.pid ?? 0
    const before = await rss(pid)
    const pausedBefore = paused(await metrics(d))
    // client-get is on the client surface: any peer may call it, so this needs no admission.
    const stream = await client.dialProtocol(peerIdFromString(d.peerId), RPC_PROTOCOL)
    stream.pause()
    const request = (id: number): Uint8Array => lengthPrefixed(encodeFrame({ kind: 'request', id, request: { type: 'client-get', key: BIG } }))
    for (let id = 0; id < 500; id++) stream.send(request(id))
    // The daemon served until its backlog for us reached the bound, then stopped reading us.
    await poll('reading paused for the unsent-reply bound', async () => paused(await metrics(d)) > pausedBefore, 30_000, 200)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const grown = (await rss(pid)) - before
    // The backlog bound is 8 MiB (32 MiB for replies already in preparation) and the
    // replies prepared at once fit it; 500 replies would be ~500 MiB (~530 MB measured
    // before the bounds, ~310 MB before the serving cap followed the replies' size).
    expect(grown).toBeLessThan(100 * MiB)
    // Still serving others meanwhile.
    const read = await get(d, BIG)
    expect([read.status, read.bytes.byteLength]).toEqual([200, MiB - 1024])
    stream.abort(new Error('done'))
  }, 60_000)
})
