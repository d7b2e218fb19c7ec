import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CODEC_LIMITS, REQUEST_TYPES, clockDigest, decodeResponse, encodeResponse } from '@ringstore/core'
import type { Request, Response } from '@ringstore/core'
import { PROTOCOLS } from '../src/protocol/router.js'
import { StorageClosedError } from '../src/errors.js'
import { mayCall } from '../src/protocol/protocol.js'
import type { CallerRole, Callers } from '../src/protocol/protocol.js'
import { setup, version } from './router-harness.js'

const ask = (handle: (from: string, r: Request) => Promise<Response>, request: unknown): Promise<Response> =>
  handle('peer', request as Request)

describe('router', () => {
  it('serves replica puts and gets', async () => {
    const t = await setup()
    const v = version('a')
    // The ack carries no clock: nobody reads it back, so it is not encoded and sent.
    expect(await ask(t.handle, { type: 'replica-put', key: 'k', clock: v })).toEqual({ type: 'clock', clock: null })
    expect(await ask(t.handle, { type: 'replica-get', key: 'k' })).toEqual({ type: 'clock', clock: v })
    expect(await ask(t.handle, { type: 'replica-get', key: 'absent' })).toEqual({ type: 'clock', clock: null })
    expect(await ask(t.handle, { type: 'replica-get-many', keys: ['k', 'absent'] })).toEqual({ type: 'clocks', items: [['k', v], ['absent', null]] })
  })

  it('answers a digest read from the Merkle tree: the stored version\'s digest, none for an absent key', async () => {
    const t = await setup()
    const v = version('a')
    await ask(t.handle, { type: 'replica-put', key: 'k', clock: v })
    expect(await ask(t.handle, { type: 'replica-digest', key: 'k' })).toEqual({ type: 'hashes', hashes: [clockDigest(v)] })
    expect(await ask(t.handle, { type: 'replica-digest', key: 'absent' })).toEqual({ type: 'hashes', hashes: [] })
    expect((await t.replicas.getWithDigest('k'))?.digest).toEqual(clockDigest(v))
    for (const bad of [{ type: 'replica-digest' }, { type: 'replica-digest', key: '' }, { type: 'replica-digest', key: 5 }]) {
      expect(await ask(t.handle, bad)).toMatchObject({ type: 'error', code: 'bad-request' })
    }
  })

  it('answers a ping with ok and touches nothing', async () => {
    const t = await setup()
    expect(await ask(t.handle, { type: 'ping' })).toEqual({ type: 'ok' })
    expect(t.replicas.size()).toBe(0)
    expect(t.minted).toEqual([])
    expect(t.metrics.invalidFrames).toBe(0)
  })

  it('keeps a put with hintFor as a hint, not as data', async () => {
    const t = await setup()
    const response = await ask(t.handle, { type: 'replica-put', key: 'k', clock: version('a'), hintFor: 'other' })
    expect(response.type).toBe('clock')
    expect(await t.replicas.get('k')).toBeNull()
    expect(t.hints.pending()).toBe(1)
    expect(t.hints.targets()).toEqual(['other'])
  })

  it('merges a batch and answers Merkle queries', async () => {
    const t = await setup()
    expect(await ask(t.handle, { type: 'replica-put-many', items: [['a', version('1')], ['b', version('2')]] })).toEqual({ type: 'ok' })
    expect(t.replicas.size()).toBe(2)
    const [p] = t.replicas.partitions()
    const nodes = await ask(t.handle, { type: 'ae-nodes', partition: p, level: 0, indices: [0] })
    expect(nodes).toEqual({ type: 'hashes', hashes: [t.replicas.tree(p as number).root()] })
    const entries = await ask(t.handle, { type: 'ae-buckets', partition: p, buckets: [0, 1, 2] })
    expect(entries.type).toBe('entries')
  })

  it('answers ae-roots in the order asked; a partition without keys has the empty root', async () => {
    const t = await setup()
    await ask(t.handle, { type: 'replica-put-many', items: Array.from({ length: 40 }, (_, i) => [`k${i}`, version(String(i))]) })
    const held = t.replicas.partitions()
    expect(held.length).toBeGreaterThan(1)
    const empty = Array.from({ length: 16 }, (_, p) => p).filter((p) => !held.includes(p))
    expect(empty.length).toBeGreaterThan(0)
    const asked = [...empty, ...held].reverse()
    const reply = await ask(t.handle, { type: 'ae-roots', partitions: asked })
    expect(reply).toEqual({ type: 'hashes', hashes: asked.map((p) => t.replicas.tree(p).root()) })
    for (const p of empty) expect(t.replicas.tree(p).root()).toEqual(new Uint8Array(16))
    for (const p of held) expect(t.replicas.tree(p).root()).not.toEqual(new Uint8Array(16))
    // The same partition asked twice answers twice; an empty list answers an empty list.
    expect(await ask(t.handle, { type: 'ae-roots', partitions: [held[0], held[0]] }))
      .toEqual({ type: 'hashes', hashes: [t.replicas.tree(held[0] as number).root(), t.replicas.tree(held[0] as number).root()] })
    expect(await ask(t.handle, { type: 'ae-roots', partitions: [] })).toEqual({ type: 'hashes', hashes: [] })
    expect(t.metrics.invalidFrames).toBe(0)
  })

  it('hands coordinate-put to the local coordinator and maps its outcome', async () => {
    const t = await setup()
    const request = { type: 'coordinate-put', key: 'k', value: new Uint8Array([1]), context: [], n: 3, w: 2, ts: 5 }
    expect(await ask(t.handle, request)).toEqual({ type: 'put-result', context: [['me:1', 1]], acks: 2 })
    expect(t.minted).toMatchObject([{ key: 'k', n: 3, w: 2, ts: 5 }])
    const failing = await setup(async () => ({ kind: 'quorum-failed', dot: ['me:1', 1], acks: 1, required: 2 }))
    expect(await ask(failing.handle, request)).toEqual({ type: 'quorum-failed', acks: 1, required: 2 })
  })

  it('answers bad requests with bad-request, counts them and stores nothing', async () => {
    const t = await setup()
    const bad: unknown[] = [
      null,
      { type: 'nope' },
      { type: 'replica-get', key: '' },
      { type: 'replica-get', key: 'a\u0000b' },
      { type: 'replica-put', key: 'k', clock: { entries: 'x', anonymous: [] } },
      { type: 'replica-put', key: 'k', clock: { entries: [{ actor: 'b', counter: 1, values: [], ts: 0 }, { actor: 'a', counter: 1, values: [], ts: 0 }], anonymous: [] } },
      { type: 'replica-put', key: 'k', clock: version('a'), hintFor: 'x\u0000y' },
      { type: 'replica-get-many', keys: 'k' },
      { type: 'replica-put-many', items: [['k']] },
      { type: 'ae-nodes', partition: 99, level: 0, indices: [0] },
      { type: 'ae-nodes', partition: 0, level: 7, indices: [0] },
      { type: 'ae-buckets', partition: 0, buckets: [1e9] },
      { type: 'ae-roots', partitions: [0, 16] },
      { type: 'ae-roots', partitions: [-1] },
      { type: 'ae-roots', partitions: [1.5] },
      { type: 'ae-roots', partitions: ['1'] },
      { type: 'ae-roots', partitions: 3 },
      { type: 'ae-roots' },
      { type: 'ae-roots', partitions: Array.from({ length: CODEC_LIMITS.treeItems + 1 }, () => 0) },
      { type: 'coordinate-put', key: 'k', value: null, context: [], n: 2, w: 3, ts: 1 },
      { type: 'coordinate-put', key: 'k', value: 'str', context: [], n: 3, w: 2, ts: 1 },
      { type: 'coordinate-put', key: 'k', value: null, context: [['b', 1], ['a', 1]], n: 3, w: 2, ts: 1 }
    ]
    for (const request of bad) {
      const response = await ask(t.handle, request)
      expect(response, JSON.stringify(request)).toMatchObject({ type: 'error', code: 'bad-request' })
    }
    expect(t.metrics.invalidFrames).toBe(bad.length)
    expect(t.replicas.size()).toBe(0)
    expect(t.hints.pending()).toBe(0)
    expect(t.minted).toEqual([])
  })

  it('a value over the limit is too-large', async () => {
    const t = await setup()
    const request = { type: 'coordinate-put', key: 'k', value: new Uint8Array(1024 * 1024 + 1), context: [], n: 3, w: 2, ts: 1 }
    expect(await ask(t.handle, request)).toMatchObject({ type: 'error', code: 'too-large' })
  })

  it('never throws, whatever arrives', async () => {
    const t = await setup()
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.anything(), fc.record({ type: fc.constantFrom('replica-get', 'replica-put', 'replica-put-many', 'ae-nodes', 'ae-buckets', 'ae-roots', 'coordinate-put', 'replica-get-many'), key: fc.anything(), clock: fc.anything(), items: fc.anything(), partition: fc.anything(), partitions: fc.anything(), level: fc.anything(), indices: fc.anything(), buckets: fc.anything(), keys: fc.anything() })),
      async (request) => {
        const response = await ask(t.handle, request)
        expect(typeof response.type).toBe('string')
      }
    ), { numRuns: 300 })
  })

  it('refuses with unavailable while the peer is not running', async () => {
    const t = await setup()
    t.stop()
    expect(await ask(t.handle, { type: 'replica-get', key: 'k' })).toMatchObject({ type: 'error', code: 'unavailable' })
  })

  it('a store closed under a request in flight (the peer stopping) is unavailable, not an internal failure', async () => {
    const t = await setup(async () => { throw new StorageClosedError() })
    const response = await ask(t.handle, { type: 'coordinate-put', key: 'k', value: null, context: [], n: 3, w: 2, ts: 1 })
    expect(response).toMatchObject({ type: 'error', code: 'unavailable' })
  })

  it('an internal failure is an internal error reply', async () => {
    const t = await setup(async () => { throw new Error('disk on fire') })
    const response = await ask(t.handle, { type: 'coordinate-put', key: 'k', value: null, context: [], n: 3, w: 2, ts: 1 })
    expect(response).toMatchObject({ type: 'error', code: 'internal' })
    expect(t.metrics.invalidFrames).toBe(0)
  })
})

describe('who may call what', () => {
  it('every request type of the wire has exactly one protocol, and every protocol says who may call it', () => {
    expect([...PROTOCOLS.keys()].sort()).toEqual([...REQUEST_TYPES].sort())
    for (const [type, protocol] of PROTOCOLS) {
      expect(protocol.type).toBe(type)
      expect(['member', 'client', 'any']).toContain(protocol.callers)
    }
  })

  it('mayCall: members call everything, clients what is open to clients or anyone, outsiders only what is open to anyone', () => {
    const roles: CallerRole[] = ['member', 'client', 'outsider']
    const allowed = (callers: Callers): CallerRole[] => roles.filter((role) => mayCall(callers, role))
    expect(allowed('member')).toEqual(['member'])
    expect(allowed('client')).toEqual(['member', 'client'])
    expect(allowed('any')).toEqual(['member', 'client', 'outsider'])
  })

  // Today every protocol is open to anyone; these tables declare stricter rules and check
  // that the router refuses a caller before the protocol runs (nothing read, written or counted).
  const restrict = (type: Request['type'], callers: Callers): typeof PROTOCOLS => {
    const table = new Map(PROTOCOLS)
    const protocol = table.get(type)
    if (protocol === undefined) throw new Error(`no protocol ${type}`)
    table.set(type, { ...protocol, callers })
    return table
  }

  it('refuses a caller the protocol does not admit with forbidden, before the protocol runs', async () => {
    const roles = new Map<string, CallerRole>([['m', 'member'], ['c', 'client'], ['o', 'outsider']])
    const t = await setup(undefined, (peer) => roles.get(peer) ?? 'outsider', restrict('replica-put', 'member'))
    const put = { type: 'replica-put', key: 'k', clock: version('a') } as Request
    for (const from of ['c', 'o']) {
      const response = await t.handle(from, put)
      expect(response).toMatchObject({ type: 'error', code: 'forbidden' })
      expect(response.type === 'error' && response.message).toContain('replica-put')
    }
    expect(await t.replicas.get('k')).toBeNull()
    expect(t.metrics.invalidFrames).toBe(0)
    expect(t.metrics.forbiddenRequests).toBe(2)
    expect(await t.handle('m', put)).toEqual({ type: 'clock', clock: null })
    expect(t.metrics.forbiddenRequests).toBe(2)
    expect(await t.replicas.get('k')).toEqual(version('a'))
  })

  it('a protocol open to clients admits members and clients, refuses outsiders', async () => {
    const roles = new Map<string, CallerRole>([['m', 'member'], ['c', 'client']])
    const t = await setup(undefined, (peer) => roles.get(peer) ?? 'outsider', restrict('coordinate-put', 'client'))
    const put = { type: 'coordinate-put', key: 'k', value: null, context: [], n: 3, w: 2, ts: 1 } as Request
    expect(await t.handle('o', put)).toMatchObject({ type: 'error', code: 'forbidden' })
    expect(t.minted).toEqual([])
    expect((await t.handle('c', put)).type).toBe('put-result')
    expect((await t.handle('m', put)).type).toBe('put-result')
    expect(t.minted).toHaveLength(2)
  })

  it('the forbidden reply crosses the wire codec', () => {
    const reply: Response = { type: 'error', code: 'forbidden', message: 'replica-put is open to members' }
    expect(decodeResponse(encodeResponse(reply))).toEqual(reply)
  })
})
