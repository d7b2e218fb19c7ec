/**
 * readBody (http/body.ts) on a real node:http server: a body sent in many chunks arrives
 * whole and exact, as a plain Uint8Array over an ArrayBuffer of its own (not a view into
 * Node's shared pool slab, which a value kept by the engine must not hold on to).
 */
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBody } from '../src/http/body.js'

let received: Promise<Uint8Array>
let port = 0
const server = createServer((req, res) => {
  received = readBody(req, 1 << 20)
  void received.finally(() => res.end())
})

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

/** PUTs `chunks` as a chunked upload, each chunk its own write (and its own `data` event on the server). */
async function upload (chunks: Uint8Array[]): Promise<Uint8Array> {
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/' }, (res) => {
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
  return await received
}

describe('readBody', () => {
  it('returns every chunk, in order, in one array of its own', async () => {
    const chunks = Array.from({ length: 7 }, (_, i) => new Uint8Array(100 + i * 37).fill(i + 1))
    const body = await upload(chunks)
    const expected = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
    let at = 0
    for (const c of chunks) {
      expected.set(c, at)
      at += c.byteLength
    }
    expect(Buffer.isBuffer(body)).toBe(false)
    expect(body.byteOffset).toBe(0)
    expect(body.buffer.byteLength).toBe(expected.byteLength)
    expect([...body]).toEqual([...expected])
  })

  it('returns an empty body as an empty array', async () => {
    const body = await upload([])
    expect(body.byteLength).toBe(0)
  })
})
