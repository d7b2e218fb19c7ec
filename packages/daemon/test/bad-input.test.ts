/**
 * Bad input against a running daemon: garbage HTTP (keys, bodies, contexts, query
 * parameters, methods, malformed requests) gets 4xx JSON errors; garbage on the libp2p
 * protocols (the RPC stream and the membership gossip topic) is counted and dropped. After
 * each barrage the daemon still serves, and the data stored before it is intact.
 */
import { connect } from 'node:net'
import { request as httpRequest } from 'node:http'
import { multiaddr } from '@multiformats/multiaddr'
import { contextFromString, contextToString, encodeAnnouncement, encodeFrame } from '@ringstore/core'
import { createNodeLibp2p, membersTopic } from '@ringstore/net-libp2p/node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTEXT, Fixture, del, get, http, metrics, poll, put, status, tokenOf } from './support.js'
import type { Daemon } from './support.js'
import { lengthPrefixed, openRpcStream } from './rpc-client.js'
import type { RpcStream } from './rpc-client.js'

const MAX_BODY = 1024
/** The one origin allowed to call the daemon from a page (--allow-origin). */
const PAGE = 'http://localhost:5173'
const fixture = new Fixture()
let d: Daemon
const KEPT_CAPABILITY = 'cap/keep-capability-key-0001'
const stored = new Map<string, string>([['keep/1', 'first'], ['keep/2', 'second'], ['keep/ü', 'third'], [KEPT_CAPABILITY, 'fourth']])

beforeAll(async () => {
  d = await fixture.start('bad', ['--n', '1', '--r', '1', '--w', '1', '--max-body', String(MAX_BODY), '--allow-origin', PAGE])
  for (const [key, value] of stored) expect((await put(d, key, value)).status).toBe(204)
})
afterAll(async () => { await fixture.killAll() })

/** The daemon answers and everything stored before is unchanged. */
async function stillServesIntact (): Promise<void> {
  for (const [key, value] of stored) {
    const read = await get(d, key)
    expect([read.status, new TextDecoder().decode(read.bytes)]).toEqual([200, value])
  }
  expect((await status(d)).peerId).toBe(d.peerId)
  expect((await metrics(d)).get('ringstore_corrupt_records_total')).toBe(0)
}

/** Writes `payload` on a raw TCP connection to the HTTP port and returns all it gets back. */
/** The Host and Authorization lines of a raw request that passes the access checks. */
function authorized (): string {
  return `Host: ${new URL(d.http).host}\r\nAuthorization: Bearer ${tokenOf(d.http)}`
}

async function rawHttp (payload: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(d.http)
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')) })
    socket.on('error', reject)
    socket.setTimeout(5_000, () => { socket.destroy(new Error('raw HTTP reply timed out')) })
    socket.write(payload)
  })
}

function jsonOf (raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
}

describe('garbage over HTTP', () => {
  const cases: Array<[string, string, string, Record<string, string>, string | undefined, number, string]> = [
    ['malformed percent-encoding', 'GET', '/kv/%E0%A4%A', {}, undefined, 400, 'bad_key'],
    ['a lone percent sign', 'PUT', '/kv/50%', {}, 'x', 400, 'bad_key'],
    ['an empty key', 'PUT', '/kv/', {}, 'x', 400, 'bad_key'],
    ['a NUL in the key', 'GET', '/kv/a%00b', {}, undefined, 400, 'bad_key'],
    ['an encoded lone surrogate', 'GET', '/kv/%ED%A0%80', {}, undefined, 400, 'bad_key'],
    ['a key over 1024 bytes', 'GET', `/kv/${'k'.repeat(1025)}`, {}, undefined, 400, 'bad_key'],
    ['a context that is not base64url', 'PUT', '/kv/x', { [CONTEXT]: '!!!not a context!!!' }, 'v', 400, 'bad_context'],
    ['a context of random bytes', 'PUT', '/kv/x', { [CONTEXT]: 'AAAAAAAAAAAA' }, 'v', 400, 'bad_context'],
    ['an oversized context', 'PUT', '/kv/x', { [CONTEXT]: 'A'.repeat(13_000) }, 'v', 400, 'bad_context'],
    ['a non-integer w', 'PUT', '/kv/x?w=two', {}, 'v', 400, 'bad_query'],
    ['w = 0', 'PUT', '/kv/x?w=0', {}, 'v', 400, 'bad_query'],
    ['a negative r', 'GET', '/kv/x?r=-1', {}, undefined, 400, 'bad_query'],
    ['a fractional n', 'GET', '/kv/x?n=1.5', {}, undefined, 400, 'bad_query'],
    ['r greater than n', 'GET', '/kv/x?n=1&r=2', {}, undefined, 400, 'bad_query'],
    ['n above the limit', 'GET', '/kv/x?n=65', {}, undefined, 400, 'bad_query'],
    ['a huge n', 'GET', '/kv/x?n=99999999999999999999', {}, undefined, 400, 'bad_query'],
    ['r on a write', 'PUT', '/kv/x?r=1', {}, 'v', 400, 'bad_query'],
    ['an unknown parameter', 'GET', '/kv/x?W=1', {}, undefined, 400, 'bad_query'],
    ['a repeated parameter', 'GET', '/kv/x?r=1&r=1', {}, undefined, 400, 'bad_query'],
    ['a delete without a context', 'DELETE', '/kv/keep%2F1', {}, undefined, 400, 'context_required'],
    ['a delete with a bad context', 'DELETE', '/kv/keep%2F1', { [CONTEXT]: '%%%' }, undefined, 400, 'bad_context'],
    ['POST on a key', 'POST', '/kv/x', {}, 'v', 405, 'method_not_allowed'],
    ['PATCH on a key', 'PATCH', '/kv/x', {}, 'v', 405, 'method_not_allowed'],
    ['PUT on /status', 'PUT', '/status', {}, 'v', 405, 'method_not_allowed'],
    ['a query on /metrics', 'GET', '/metrics?x=1', {}, undefined, 400, 'bad_query'],
    ['an unknown route', 'GET', '/nope', {}, undefined, 404, 'not_found'],
    ['/kv without a key', 'GET', '/kv', {}, undefined, 404, 'not_found'],
    ['a value over --max-body', 'PUT', '/kv/big', {}, 'x'.repeat(MAX_BODY + 1), 413, 'value_too_large']
  ]
  for (const [what, method, path, headers, body, code, error] of cases) {
    it(`answers ${code} ${error} to ${what}`, async () => {
      const reply = await http(d.http, method, path, { headers, ...(body === undefined ? {} : { body }) })
      expect(reply.status).toBe(code)
      expect(reply.json).toMatchObject({ error })
      // No Origin, no CORS headers: an operator tool is no page.
      expect(reply.headers.get('access-control-allow-origin')).toBeNull()
    })
  }

  it('names the limit in a 413 and takes a value of exactly --max-body bytes', async () => {
    const over = await http(d.http, 'PUT', '/kv/big', { body: 'x'.repeat(MAX_BODY + 1) })
    expect(over.json).toMatchObject({ error: 'value_too_large', limit: MAX_BODY })
    expect((await http(d.http, 'PUT', '/kv/big', { body: 'x'.repeat(MAX_BODY) })).status).toBe(204)
  })

  it('refuses a chunked upload (no Content-Length) once it passes the limit, and the connection stays usable', async () => {
    const { hostname, port } = new URL(d.http)
    const reply = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = httpRequest({ host: hostname, port: Number(port), method: 'PUT', path: '/kv/chunked', headers: { Authorization: `Bearer ${tokenOf(d.http)}` } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }) })
      })
      req.on('error', reject)
      // 8 chunks of 512 bytes: the 3rd crosses the 1 KiB limit.
      for (let i = 0; i < 8; i++) req.write('y'.repeat(512))
      req.end()
    })
    expect(reply.status).toBe(413)
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'value_too_large', limit: MAX_BODY })
    expect((await get(d, 'chunked')).status).toBe(404)
  })

  it('refuses an oversized upload announced with Expect: 100-continue without inviting the body', async () => {
    const reply = await rawHttp(`PUT /kv/expect HTTP/1.1\r\n${authorized()}\r\nContent-Length: ${MAX_BODY * 4}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`)
    expect(reply).toMatch(/^HTTP\/1\.1 413 /)
    expect(jsonOf(reply)).toMatchObject({ error: 'value_too_large', limit: MAX_BODY })
    const small = await rawHttp(`PUT /kv/expect HTTP/1.1\r\n${authorized()}\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nok`)
    expect(small).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 204 /)
    // Without the token the body is never invited either.
    const tokenless = await rawHttp(`PUT /kv/expect HTTP/1.1\r\nHost: ${new URL(d.http).host}\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`)
    expect(tokenless).toMatch(/^HTTP\/1\.1 401 /)
  })

  it('answers malformed HTTP with JSON errors of its own', async () => {
    const garbage = await rawHttp('GARBAGE\r\n\r\n')
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /)
    expect(jsonOf(garbage)).toMatchObject({ error: 'bad_request' })

    const hugeHeaders = await rawHttp(`GET /status HTTP/1.1\r\n${authorized()}\r\nX-Big: ${'a'.repeat(40 * 1024)}\r\n\r\n`)
    expect(hugeHeaders).toMatch(/^HTTP\/1\.1 431 /)
    expect(jsonOf(hugeHeaders)).toMatchObject({ error: 'headers_too_large' })

    const absolute = await rawHttp(`GET http://example.com/kv/keep%2F1 HTTP/1.1\r\n${authorized()}\r\nConnection: close\r\n\r\n`)
    expect(absolute).toMatch(/^HTTP\/1\.1 400 /)
    expect(jsonOf(absolute)).toMatchObject({ error: 'bad_request' })
  })

  it('answers the CORS preflight of an allowed origin, naming that origin and the Authorization header', async () => {
    const reply = await http(d.http, 'OPTIONS', '/kv/anything', { token: null, headers: { Origin: PAGE, 'Access-Control-Request-Method': 'PUT' } })
    expect(reply.status).toBe(204)
    expect(reply.headers.get('access-control-allow-origin')).toBe(PAGE)
    expect(reply.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(reply.headers.get('access-control-allow-headers')).toContain('Authorization')
    expect(reply.headers.get('access-control-allow-headers')).toContain('X-Ringstore-Context')
  })

  it('every kind of reply to an allowed origin carries its CORS headers, so the page can read it and its context', async () => {
    const page = { Origin: PAGE }
    const read = await http(d.http, 'GET', '/kv/keep%2F1', { headers: page })
    const written = await http(d.http, 'PUT', '/kv/cors%2F1', { body: 'v', headers: page })
    const replies = [
      read,
      await http(d.http, 'GET', '/kv/never%2Fwritten', { headers: page }),
      written,
      await http(d.http, 'DELETE', '/kv/cors%2F1', { headers: { ...page, [CONTEXT]: written.context ?? '' } }),
      await http(d.http, 'PATCH', '/kv/keep%2F1', { headers: page }),
      await http(d.http, 'GET', '/kv/keep%2F1?zz=1', { headers: page }),
      await http(d.http, 'GET', '/status', { headers: page }),
      await http(d.http, 'GET', '/metrics', { headers: page }),
      await http(d.http, 'GET', '/kv/keep%2F1', { headers: page, token: null }),
      await http(d.http, 'GET', '/no/such/file', { headers: page })
    ]
    expect(replies.map((r) => r.status)).toEqual([200, 404, 204, 204, 405, 400, 200, 200, 401, 404])
    for (const reply of replies) {
      expect(reply.headers.get('access-control-allow-origin')).toBe(PAGE)
      expect(reply.headers.get('access-control-expose-headers')).toBe('X-Ringstore-Context')
    }
    expect(read.context).not.toBeNull()
  })

  it('maps any byte string in the key path to 204 or 400 bad_key, and a stored key reads back', async () => {
    // A fresh prefix per run: blind writes to one key would (rightly) pile up as siblings.
    let run = 0
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ maxLength: 64 }), async (keyBytes, value) => {
      const path = `fuzz${run++}-${[...keyBytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`
      const reply = await http(d.http, 'PUT', `/kv/${path}`, { body: value })
      const key = decodeUtf8(keyBytes)
      const valid = key !== null && !key.includes('\u0000')
      if (!valid) {
        expect(reply.status).toBe(400)
        expect(reply.json).toMatchObject({ error: 'bad_key' })
        return
      }
      expect(reply.status).toBe(204)
      const read = await http(d.http, 'GET', `/kv/${path}`)
      expect([read.status, Buffer.from(read.bytes).equals(Buffer.from(value))]).toEqual([200, true])
    }), { numRuns: 150 })
  })

  it('maps any context header to 204 or 400 bad_context', async () => {
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_\-+/=]{0,120}$/), async (context) => {
      const reply = await http(d.http, 'PUT', '/kv/ctx-fuzz', { body: 'v', headers: { [CONTEXT]: context } })
      expect([204, 400]).toContain(reply.status)
      if (reply.status === 400) expect(reply.json).toMatchObject({ error: 'bad_context' })
    }), { numRuns: 150 })
  })

  it('still serves, with the stored data intact', stillServesIntact)
})

describe('forged causality over HTTP', () => {
  /** The context part of a sealed header, and a header with its seal kept but the context replaced. */
  const unsealed = (header: string): string => header.slice(0, header.lastIndexOf('.'))
  const reseal = (header: string, context: string): string => `${context}${header.slice(header.lastIndexOf('.'))}`

  it('refuses a context the cluster did not issue for the key with 400 bad_context, and the key stays as it was and writable', async () => {
    expect((await put(d, 'poison/1', 'first')).status).toBe(204)
    const read = await get(d, 'poison/1')
    const sealed = read.headers.get(CONTEXT) ?? ''
    const actors = contextFromString(unsealed(sealed)).map(([actor]) => actor)
    expect(actors).toHaveLength(1)
    // A counter at the coordinator's limit: once the way to make a key unwritable.
    const poisoned = contextToString(actors.map((actor) => [actor, Number.MAX_SAFE_INTEGER] as const))
    expect((await put(d, 'other/1', 'busy')).status).toBe(204)
    const otherKeys = (await get(d, 'other/1')).headers.get(CONTEXT) ?? ''
    const forgeries: Array<[string, string]> = [
      ['a made-up context, unsealed', poisoned],
      ['a made-up context under the seal of a real one', reseal(sealed, poisoned)],
      ['a real context with its seal cut off', unsealed(sealed)],
      ['a real context of another key', otherKeys],
      ['a real context with a flipped seal', `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'AB' : 'AA'}`]
    ]
    for (const [what, context] of forgeries) {
      const reply = await put(d, 'poison/1', `forged: ${what}`, { context })
      expect([what, reply.status, reply.json]).toMatchObject([what, 400, { error: 'bad_context' }])
      expect((await del(d, 'poison/1', context)).status).toBe(400)
    }
    const still = await get(d, 'poison/1')
    expect([still.status, new TextDecoder().decode(still.bytes)]).toEqual([200, 'first'])
    for (let i = 0; i < 3; i++) {
      const now = await get(d, 'poison/1')
      expect((await put(d, 'poison/1', `later ${i}`, { context: now.headers.get(CONTEXT) ?? '' })).status).toBe(204)
    }
    const last = await get(d, 'poison/1')
    expect([last.status, new TextDecoder().decode(last.bytes)]).toEqual([200, 'later 2'])
    await stillServesIntact()
  })
})

describe('garbage on the libp2p protocols', () => {
  let client: Awaited<ReturnType<typeof createNodeLibp2p>>

  beforeAll(async () => {
    client = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    await client.start()
    await client.dial(multiaddr(d.tcp))
  })
  afterAll(async () => { await client.stop() })

  const rpcStream = async (): Promise<RpcStream> => await openRpcStream(client, d.peerId)

  it('answers a request with an unknown type as bad-request, then a valid request on the same stream', async () => {
    const before = (await metrics(d)).get('ringstore_invalid_frames_total') ?? 0
    const rpc = await rpcStream()
    // CBOR [0, 7, [99]]: request id 7 of a type that does not exist; then [0, 8, [11]]:
    // members-view (the client surface: this test's node is no member).
    rpc.send(lengthPrefixed(Uint8Array.from([0x83, 0x00, 0x07, 0x81, 0x18, 0x63])))
    rpc.send(lengthPrefixed(Uint8Array.from([0x83, 0x00, 0x08, 0x81, 0x0b])))
    await poll('two responses', () => rpc.frames.length === 2, 10_000, 20)
    expect(rpc.frames[0]).toMatchObject({ kind: 'response', id: 7, response: { type: 'error', code: 'bad-request' } })
    expect(rpc.frames[1]).toMatchObject({ kind: 'response', id: 8, response: { type: 'members' } })
    const members = rpc.frames[1]?.kind === 'response' && rpc.frames[1].response.type === 'members' ? rpc.frames[1].response.records : []
    expect(members.map((m) => m.record.id)).toContain(d.peerId)
    rpc.abort()
    expect((await metrics(d)).get('ringstore_invalid_frames_total')).toBe(before + 1)
  })

  it('answers digest reads (client-digest) over the wire, a malformed one as bad-request, and one of a key clients may not read as forbidden', async () => {
    const rpc = await rpcStream()
    rpc.send(lengthPrefixed(encodeFrame({ kind: 'request', id: 1, request: { type: 'client-digest', key: KEPT_CAPABILITY } })))
    rpc.send(lengthPrefixed(encodeFrame({ kind: 'request', id: 2, request: { type: 'client-digest', key: 'cap/never-written-capability-1' } })))
    // CBOR [0, 3, [13, 7]]: a client-digest whose key is a number.
    rpc.send(lengthPrefixed(Uint8Array.from([0x83, 0x00, 0x03, 0x82, 0x0d, 0x07])))
    // A members-only key (per-key rights, core's key-rights.ts): this node is a client.
    rpc.send(lengthPrefixed(encodeFrame({ kind: 'request', id: 4, request: { type: 'client-digest', key: 'keep/1' } })))
    await poll('four responses', () => rpc.frames.length === 4, 10_000, 20)
    const byId = new Map(rpc.frames.map((f) => [f.id, f.kind === 'response' ? f.response : undefined]))
    const found = byId.get(1)
    expect(found?.type === 'hashes' ? found.hashes.map((h) => h.length) : found).toEqual([16])
    expect(byId.get(2)).toEqual({ type: 'hashes', hashes: [] })
    expect(byId.get(3)).toMatchObject({ type: 'error', code: 'bad-request' })
    expect(byId.get(4)).toMatchObject({ type: 'error', code: 'forbidden' })
    rpc.abort()
    await stillServesIntact()
  })

  const resets: Array<[string, Uint8Array]> = [
    ['random bytes', lengthPrefixed(Uint8Array.from({ length: 200 }, (_, i) => (i * 73 + 19) & 0xff))],
    ['CBOR of the wrong shape', lengthPrefixed(Uint8Array.from([0xa1, 0x61, 0x61, 0x01]))],
    ['a length prefix of 1 GiB', Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x04, 1, 2, 3])],
    ['an empty frame', lengthPrefixed(new Uint8Array(0))],
    ['a replica-put of garbage', lengthPrefixed(Uint8Array.from([0x83, 0x00, 0x09, 0x83, 0x02, 0x61, 0x6b, 0x5f]))]
  ]
  for (const [what, bytes] of resets) {
    it(`survives ${what} on the RPC protocol`, async () => {
      const before = (await metrics(d)).get('ringstore_invalid_frames_total') ?? 0
      const rpc = await rpcStream()
      rpc.send(bytes)
      await poll('the frame counted as invalid', async () => ((await metrics(d)).get('ringstore_invalid_frames_total') ?? 0) > before, 10_000, 50)
      rpc.abort()
      await stillServesIntact()
    })
  }

  it('survives 300 seeded fuzzed frames (valid requests with flipped, cut or grown bytes, and random ones), with its data intact', async () => {
    const target = 'cap/fuzz-target-key-0123456789'
    const valid = (id: number): Uint8Array[] => [
      encodeFrame({ kind: 'request', id, request: { type: 'client-get', key: target } }),
      encodeFrame({ kind: 'request', id, request: { type: 'client-put', key: target, clock: { entries: [{ actor: 'x:0', counter: 1, values: [{ value: new Uint8Array(8), ts: 1 }], ts: 1 }], anonymous: [] } } }),
      encodeFrame({ kind: 'request', id, request: { type: 'replica-put-many', items: [['k', { entries: [], anonymous: [] }]] } }),
      encodeFrame({ kind: 'request', id, request: { type: 'ae-nodes', partition: 1, level: 2, indices: [0, 1] } }),
      encodeFrame({ kind: 'response', id, response: { type: 'hashes', hashes: [new Uint8Array(16)] } })
    ]
    const mutated = fc.tuple(fc.nat(4), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.constantFrom('flip', 'cut', 'grow'), fc.uint8Array({ maxLength: 40 }))
      .map(([which, id, flips, how, extra]) => {
        const bytes = Uint8Array.from(valid(id % 1000)[which] ?? new Uint8Array(0))
        for (const [at, byte] of flips) if (bytes.length > 0) bytes[at % bytes.length] = byte
        if (how === 'cut') return bytes.subarray(0, Math.max(1, bytes.length - 1 - (extra.length % Math.max(1, bytes.length - 1))))
        if (how === 'grow') return Uint8Array.from([...bytes, ...extra])
        return bytes
      })
    const frame = fc.oneof(mutated, fc.uint8Array({ maxLength: 300 }))
    const invalidBefore = (await metrics(d)).get('ringstore_invalid_frames_total') ?? 0
    let rpc = await rpcStream()
    let sent = 0
    await fc.assert(fc.asyncProperty(frame, async (bytes) => {
      // A stream the daemon reset (the invalid-frame budget is spent fast) is replaced.
      if (await Promise.race([rpc.closed.then(() => true), Promise.resolve(false)])) rpc = await rpcStream()
      try {
        rpc.send(lengthPrefixed(bytes))
      } catch {
        // Reset before its close event reached us.
        rpc = await rpcStream()
        rpc.send(lengthPrefixed(bytes))
      }
      const answered = rpc.frames.length
      sent++
      // Each frame gets its answer or the stream's reset (a stray response frame, neither).
      const settled = rpc.closed.then(() => true)
      await poll('an answer or a reset', async () => rpc.frames.length > answered || await Promise.race([settled, Promise.resolve(false)]), 300, 5).catch(() => undefined)
    }), { numRuns: 300, seed: 20261207 })
    expect(sent).toBe(300)
    // The daemon decoded them: many were refused as invalid (past the budget, with a reset).
    await poll('invalid frames counted', async () => ((await metrics(d)).get('ringstore_invalid_frames_total') ?? 0) > invalidBefore + 16, 10_000, 100)
    rpc.abort()
    expect(d.process.exitCode).toBeNull()
    await stillServesIntact()
  }, 120_000)

  it('drops garbage and forged records published on the membership topic', async () => {
    const topic = membersTopic('ringstore')
    const pubsub = client.services.pubsub
    pubsub.subscribe(topic)
    // A well-formed announcement about the daemon, but authored by us: forged.
    const forged = encodeAnnouncement({
      signed: {
        record: { id: d.peerId, addrs: [], weight: 5, zone: 'evil', status: 'left', incarnation: 1_000_000, heartbeat: 1, joinedAt: 1, leftAt: 2 },
        signature: new Uint8Array(64)
      }
    })
    const before = (await metrics(d)).get('ringstore_invalid_announcements_total') ?? 0
    let round = 0
    // The gossip mesh forms some tens of ms after the dial: publish until the daemon saw both.
    await poll('garbage and forgery rejected', async () => {
      round++
      await pubsub.publish(topic, Uint8Array.from([0xde, 0xad, 0xbe, 0xef, round & 0xff])).catch(() => undefined)
      await pubsub.publish(topic, forged).catch(() => undefined)
      return ((await metrics(d)).get('ringstore_invalid_announcements_total') ?? 0) >= before + 2
    }, 15_000, 200)
    const self = (await status(d)).members.find((m) => m.peerId === d.peerId)
    expect(self).toMatchObject({ status: 'active', zone: 'default', weight: 1 })
    await stillServesIntact()
  })
})

function decodeUtf8 (bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return null
  }
}
