/**
 * createNodeClient (src/node-client.ts) against real daemons: from one daemon's HTTP URL
 * alone (GET /bootstrap, its TCP addresses), a Node client writes a capability key that a
 * daemon's HTTP API then reads, reads back what another writes, hears a change by `watch`,
 * is refused a key it has no right to, and never enters the members' table.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyRightsError, capabilityKey, createNodeClient } from '../src/index.js'
import type { NodeClient } from '../src/index.js'
import { Fixture, get, poll, put, startCluster, status } from './support.js'
import type { Daemon } from './support.js'

const fixture = new Fixture()
let daemons: Daemon[] = []
let dir = ''
let client: NodeClient | undefined

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ringstore-node-client-'))
  daemons = await startCluster(fixture, 'nc', 3)
}, 90_000)

afterAll(async () => {
  await client?.stop()
  await fixture.killAll()
  await rm(dir, { recursive: true, force: true })
})

const text = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array())

describe('createNodeClient', () => {
  it('writes and reads through the cluster from a daemon URL, watches, and stays a client', async () => {
    const [a, b] = daemons as [Daemon, Daemon, Daemon]
    const c = await createNodeClient({ daemon: a.http, dataDir: join(dir, 'client') })
    client = c
    const key = capabilityKey('node-client-test-capability-id', 'note')

    await c.put(key, new TextEncoder().encode('from node'))
    const seen = await get(b, key)
    expect([seen.status, seen.text]).toEqual([200, 'from node'])

    // The watch reaches the members with its lease request, a moment after watch():
    // a write through b's HTTP API at each poll until the client has heard one. The
    // lease's first catch-up may also deliver the value the client wrote itself, so
    // every event is kept and the test waits for one that came over HTTP.
    const heard: string[][] = []
    const fromHttp = (): boolean => heard.some((values) => values.some((v) => /^from http \d+$/.test(v)))
    const unwatch = c.watch(key, ({ values }) => { heard.push(values.map(text)) })
    let context = seen.context
    let i = 0
    await poll('the client to hear a write made over HTTP', async () => {
      if (fromHttp()) return true
      const reply = await put(b, key, `from http ${i++}`, { context })
      expect(reply.status).toBe(204)
      context = reply.context
      return fromHttp()
    }, 10_000, 500)
    unwatch()
    for (const values of heard) for (const v of values) expect(v).toMatch(/^from (node|http \d+)$/)
    const last = (await get(a, key)).text
    expect((await c.get(key)).values.map(text)).toEqual([last])

    await expect(c.put('settings/theme', new Uint8Array([1]))).rejects.toBeInstanceOf(KeyRightsError)
    for (const d of daemons) expect((await status(d)).members.map((m) => m.peerId)).not.toContain(c.id)
  }, 60_000)
})
