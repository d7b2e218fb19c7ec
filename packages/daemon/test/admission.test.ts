/**
 * Admission control on a real daemon: with `--max-inflight 2`, two PUTs held open (their
 * bodies only half sent) fill the bound; further key-value requests get 503 `overloaded`
 * with Retry-After at once, without reaching the engine; other routes still answer; a
 * finished or abandoned request frees its place.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, get, http, metrics, poll, put, tokenOf } from './support.js'
import type { Daemon } from './support.js'

const LIMIT = 2
const VALUE = 'held-value'

/** A PUT whose head and first half of the body are sent; `finish()` sends the rest and resolves with the reply's status line. */
interface HeldPut { readonly socket: Socket, finish: () => Promise<string> }

async function holdPut (d: Daemon, key: string): Promise<HeldPut> {
  const { hostname, port, host } = new URL(d.http)
  const socket = connect(Number(port), hostname)
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
  let received = ''
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })
  const half = VALUE.length / 2
  socket.write(`PUT /kv/${key} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${tokenOf(d.http)}\r\nContent-Length: ${VALUE.length}\r\n\r\n${VALUE.slice(0, half)}`)
  return {
    socket,
    finish: async () => {
      socket.write(VALUE.slice(half))
      return await poll('the held PUT to be answered', () => received.includes('\r\n\r\n') && received.split('\r\n')[0])
    }
  }
}

async function inFlight (d: Daemon): Promise<number | undefined> {
  return (await metrics(d)).get('ringstore_http_kv_in_flight')
}

describe(`a daemon with --max-inflight ${LIMIT}`, () => {
  const fixture = new Fixture()
  let d: Daemon

  beforeAll(async () => {
    d = await fixture.start('admission', ['--n', '1', '--r', '1', '--w', '1', '--max-inflight', String(LIMIT)])
  })
  afterAll(async () => { await fixture.killAll() })

  it('sheds key-value requests beyond the bound with 503 overloaded and Retry-After, and admits again once a place frees', async () => {
    expect((await metrics(d)).get('ringstore_http_kv_max_in_flight')).toBe(LIMIT)
    const held = [await holdPut(d, 'held-1'), await holdPut(d, 'held-2')]
    await poll('both held PUTs to count as in progress', async () => (await inFlight(d)) === LIMIT)
    const before = await metrics(d)

    const shedGet = await get(d, 'anything')
    expect(shedGet.status).toBe(503)
    expect(shedGet.json).toMatchObject({ error: 'overloaded', inFlight: LIMIT, limit: LIMIT })
    expect(shedGet.headers.get('retry-after')).toBe('1')
    const shedPut = await put(d, 'refused', 'x')
    expect(shedPut.status).toBe(503)
    expect(shedPut.json).toMatchObject({ error: 'overloaded' })
    // Other routes are not bounded.
    expect((await http(d.http, 'GET', '/status')).status).toBe(200)

    const after = await metrics(d)
    expect(after.get('ringstore_http_overloaded_total')).toBe((before.get('ringstore_http_overloaded_total') ?? 0) + 2)
    // Shed before the engine: it coordinated nothing for them.
    for (const op of ['get', 'put']) {
      expect(after.get(`ringstore_requests_total{op="${op}"}`)).toBe(before.get(`ringstore_requests_total{op="${op}"}`))
    }

    // The held requests were admitted: they complete normally.
    for (const h of held) expect(await h.finish()).toBe('HTTP/1.1 204 No Content')
    for (const h of held) h.socket.destroy()
    await poll('the finished requests to leave the count', async () => (await inFlight(d)) === 0)
    const stored = await get(d, 'held-1')
    expect([stored.status, stored.text]).toEqual([200, VALUE])
    // The shed PUT stored nothing.
    expect((await get(d, 'refused')).status).toBe(404)
  })

  it('frees the place of a request whose client went away', async () => {
    const held = [await holdPut(d, 'gone-1'), await holdPut(d, 'gone-2')]
    await poll('both held PUTs to count as in progress', async () => (await inFlight(d)) === LIMIT)
    expect((await get(d, 'anything')).status).toBe(503)
    held[0]?.socket.destroy()
    await poll('the abandoned request to leave the count', async () => (await inFlight(d)) === LIMIT - 1)
    expect((await put(d, 'admitted', 'v')).status).toBe(204)
    expect(await held[1]?.finish()).toBe('HTTP/1.1 204 No Content')
    held[1]?.socket.destroy()
  })
})
