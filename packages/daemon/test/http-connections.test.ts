/**
 * The HTTP server's connection bounds (http/connections.ts): at most --http-max-connections
 * open (more are closed on arrival and counted), and a connection idle for
 * --http-idle-timeout-ms, or trickling its request head, is closed so its fd comes back
 * in seconds. Attacked with raw sockets that connect and never speak, and one that sends
 * its head a byte at a time.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { Agent, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, http, metrics, tokenOf } from './support.js'
import type { Daemon } from './support.js'

const MAX = 40
// Above 2 s so the Keep-Alive hint (whole seconds, which node's client agent trims by one)
// lets a client reuse its connection in the last test.
const IDLE_MS = 2_500
const fixture = new Fixture()
let d: Daemon

beforeAll(async () => {
  d = await fixture.start('bounded', ['--n', '1', '--r', '1', '--w', '1', '--http-max-connections', String(MAX), '--http-idle-timeout-ms', String(IDLE_MS)])
  expect((await http(d.http, 'PUT', '/kv/k', { body: 'v' })).status).toBe(204)
})
afterAll(async () => { await fixture.killAll() })

interface Held { readonly socket: Socket, readonly closed: Promise<number> }

/** A TCP connection to the daemon's HTTP port; `closed` resolves with the ms it stayed open. */
async function hold (base: string): Promise<Held> {
  const url = new URL(base)
  const socket = connect(Number(url.port), url.hostname)
  socket.on('error', () => {})
  const opened = performance.now()
  const closed = new Promise<number>((resolve) => socket.once('close', () => { resolve(performance.now() - opened) }))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return { socket, closed }
}

/** One GET on a fresh connection: its status, or the network error's code. */
async function freshGet (base: string, path: string): Promise<number | string> {
  const url = new URL(base)
  return await new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path, agent: false, headers: { authorization: `Bearer ${tokenOf(base)}` } }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', (error: NodeJS.ErrnoException) => { resolve(error.code ?? error.message) })
    req.end()
  })
}

describe('HTTP connection bounds', () => {
  it('closes connections past --http-max-connections on arrival, frees idle ones within the idle timeout, and counts both', async () => {
    const before = await metrics(d)
    const held: Held[] = []
    for (let i = 0; i < MAX; i++) held.push(await hold(d.http))
    // The bound is reached: a new client is turned away (closed before any reply)...
    expect(typeof await freshGet(d.http, '/kv/k')).toBe('string')
    // ...and the silent connections are closed by the daemon within about the idle timeout, not ~90 s.
    const openFor = await Promise.all(held.map(async (h) => await h.closed))
    expect(Math.max(...openFor)).toBeLessThan(IDLE_MS * 4)
    // Then the API serves again, and says what happened.
    expect(await freshGet(d.http, '/kv/k')).toBe(200)
    const after = await metrics(d)
    expect((after.get('ringstore_http_connections_refused_total') ?? 0) - (before.get('ringstore_http_connections_refused_total') ?? 0)).toBeGreaterThanOrEqual(1)
    expect((after.get('ringstore_http_connections_idle_closed_total') ?? 0) - (before.get('ringstore_http_connections_idle_closed_total') ?? 0)).toBeGreaterThanOrEqual(MAX)
    expect(after.get('ringstore_http_max_connections')).toBe(MAX)
  }, 30_000)

  it('cuts a request head that trickles in a byte at a time (slowloris)', async () => {
    const h = await hold(d.http)
    const head = `GET /kv/k HTTP/1.1\r\nHost: ${new URL(d.http).host}\r\nX-Slow: ${'a'.repeat(200)}`
    let i = 0
    const drip = setInterval(() => { if (!h.socket.destroyed && i < head.length) h.socket.write(head[i++] ?? '') }, 100)
    try {
      // Never silent for IDLE_MS, so only the head timeout catches it.
      expect(await h.closed).toBeLessThan(IDLE_MS * 4)
      expect(i).toBeLessThan(head.length)
    } finally {
      clearInterval(drip)
    }
  }, 30_000)

  it('keeps a connection a client reuses between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const url = new URL(d.http)
    const reused: boolean[] = []
    try {
      for (let i = 0; i < 6; i++) {
        reused.push(await new Promise<boolean>((resolve, reject) => {
          const req = request({ host: url.hostname, port: url.port, path: '/kv/k', agent, headers: { authorization: `Bearer ${tokenOf(d.http)}` } }, (res) => {
            res.resume()
            res.on('end', () => { resolve(req.reusedSocket) })
          })
          req.on('error', reject)
          req.end()
        }))
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 4))
      }
    } finally {
      agent.destroy()
    }
    expect(reused).toEqual([false, true, true, true, true, true])
  }, 30_000)
})
