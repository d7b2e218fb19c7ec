/**
 * The RPC stream's resource limits against a peer that abuses them (rpc-limits.ts): one
 * that never reads its replies, one that parks a partial frame, one that floods junk. Each
 * limit holds, is counted under its own name, and an honest peer is still served. Short
 * limits are injected through `rpcLimits`; nothing here asserts on elapsed time.
 */
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { decodeFrame, encodeFrame } from '@ringstore/core'
import type { Frame, Response } from '@ringstore/core'
import { afterAll, describe, expect, it } from 'vitest'
import { FrameDecoder, encodeLength } from '../src/framing.js'
import { RPC_PROTOCOL } from '../src/node-index.js'
import type { RpcLimits } from '../src/rpc-limits.js'
import { startPeer, stopAll, waitFor } from './helpers.js'
import type { TestPeer } from './helpers.js'

afterAll(stopAll)

/** A server with `limits`, an honest client and an attacker, both connected to it. */
async function trio (limits: Partial<RpcLimits>): Promise<{ server: TestPeer, client: TestPeer, attacker: TestPeer }> {
  const server = await startPeer({ rpcLimits: limits })
  const client = await startPeer()
  const attacker = await startPeer()
  await client.network.dial(server.addr)
  await attacker.network.dial(server.addr)
  return { server, client, attacker }
}

/** A raw RPC stream from `from` to `to`: bytes and frames received, and whether it closed. */
async function rawStream (from: TestPeer, to: TestPeer): Promise<{ stream: Stream, received: () => number, frames: Frame[], closed: () => boolean }> {
  const stream = await from.network.node.dialProtocol(peerIdFromString(to.id), RPC_PROTOCOL)
  let received = 0
  let closed = false
  const frames: Frame[] = []
  const decoder = new FrameDecoder()
  stream.addEventListener('message', (event) => {
    const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    received += data.byteLength
    for (const bytes of decoder.push(data)) frames.push(decodeFrame(bytes))
  })
  stream.addEventListener('close', () => { closed = true })
  return { stream, received: () => received, frames, closed: () => closed }
}

function lp (payload: Uint8Array): Uint8Array {
  const prefix = encodeLength(payload.byteLength)
  const out = new Uint8Array(prefix.byteLength + payload.byteLength)
  out.set(prefix)
  out.set(payload, prefix.byteLength)
  return out
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

describe('RPC resource limits', () => {
  it('a peer that never reads its replies holds at most the unsent-reply bound; another peer is still served', async () => {
    const pauseAt = 512 * 1024
    const limit = 1024 * 1024
    // A reply of 8,192 16-byte hashes: 139 KiB on the wire.
    const reply: Response = { type: 'hashes', hashes: Array.from({ length: 8192 }, () => new Uint8Array(16)) }
    const replyBytes = encodeFrame({ kind: 'response', id: 1_000_000, response: reply }).byteLength
    const { server, client, attacker } = await trio({ maxUnsentReplyBytes: pauseAt, refuseUnsentReplyBytes: limit })
    server.serve = async (_from, request): Promise<Response> => request.type === 'ping' ? reply : { type: 'ok' }
    const { stream } = await rawStream(attacker, server)
    // Never read: no window updates, so the server's replies pile up on its side.
    stream.pause()
    // 100 requests asking for 13 MiB of replies, then 10 more at every poll until the
    // server stops reading them.
    let sent = 0
    const wave = (n: number): void => {
      stream.send(concat(Array.from({ length: n }, () => lp(encodeFrame({ kind: 'request', id: sent++, request: { type: 'ping' } })))))
    }
    wave(100)
    await waitFor('the server to stop reading the attacker', () => server.network.stats.replyBacklogPauses >= 1, 10_000, () => { wave(10) })
    wave(100)

    // The honest client is answered, with its full reply, while the attacker is stuck.
    const answer = await client.network.request(server.id, { type: 'ping' }, 10_000)
    expect(answer).toEqual(reply)

    const stats = server.network.stats
    // The first wave was dispatched at once; the replies ready after the backlog reached the
    // bound were refused (a short error each), not queued: the backlog tops out at the bound
    // plus the one reply that crossed it plus those errors (under 128 bytes each).
    expect(stats.repliesRefused).toBeGreaterThan(0)
    expect(stats.unsentReplyBytesPeak).toBeGreaterThanOrEqual(limit)
    expect(stats.unsentReplyBytesPeak).toBeLessThanOrEqual(limit + replyBytes + 128 * 100)
    // Counted once: one episode, however many requests it held back.
    expect(stats.replyBacklogPauses).toBe(1)
    // The last 100 at least were not read: fewer served than the attacker's and the client's.
    expect(stats.requestsServed).toBeLessThanOrEqual(sent + 1 - 100)
    stream.abort(new Error('done'))
  })

  it('the refusal bound is per peer: two streams that never read hold no more than one', async () => {
    const limit = 1024 * 1024
    const reply: Response = { type: 'hashes', hashes: Array.from({ length: 8192 }, () => new Uint8Array(16)) }
    const replyBytes = encodeFrame({ kind: 'response', id: 1_000_000, response: reply }).byteLength
    const { server, attacker } = await trio({ maxUnsentReplyBytes: limit / 2, refuseUnsentReplyBytes: limit })
    server.serve = async () => reply
    const streams = [await rawStream(attacker, server), await rawStream(attacker, server)]
    for (const { stream } of streams) {
      stream.pause()
      stream.send(concat(Array.from({ length: 50 }, (_, i) => lp(encodeFrame({ kind: 'request', id: i, request: { type: 'ping' } })))))
    }
    // Both streams stop: reading paused (the backlog, and the serving cap that follows the
    // replies' size), and no more replies come.
    let served = -1
    let still = 0
    await waitFor('both streams to stop being served', () => {
      const now = server.network.stats.requestsServed
      still = now === served && now > 0 ? still + 1 : 0
      served = now
      return still >= 25
    })
    const stats = server.network.stats
    expect(stats.repliesRefused).toBeGreaterThan(0)
    expect(stats.unsentReplyBytesPeak).toBeLessThanOrEqual(limit + replyBytes + 128 * 100)
    // Independent of the gauge: the replies sent in full over both streams fit the one bound
    // (plus the one that crossed it and what the muxer windows took), not one bound each.
    expect(stats.requestsServed - stats.repliesRefused).toBeLessThanOrEqual(Math.ceil((limit + 2 * 256 * 1024) / replyBytes) + 1)
    for (const { stream } of streams) stream.abort(new Error('done'))
  })

  it('a peer that reads gets every reply of a 14 MiB burst under the default limits', async () => {
    const reply: Response = { type: 'hashes', hashes: Array.from({ length: 8192 }, () => new Uint8Array(16)) }
    const { server, client } = await trio({})
    server.serve = async () => reply
    const answers = await Promise.all(Array.from({ length: 100 }, async () => client.network.request(server.id, { type: 'ping' }, 20_000)))
    expect(answers.every((answer) => answer.type === 'hashes' && answer.hashes.length === 8192)).toBe(true)
    expect(server.network.stats.repliesRefused).toBe(0)
  })

  it('serves fewer requests at once when the replies are large, so the replies being prepared fit the backlog bound; small replies keep the full concurrency', async () => {
    const big: Response = { type: 'hashes', hashes: Array.from({ length: 32_768 }, () => new Uint8Array(16)) }
    const bigBytes = encodeFrame({ kind: 'response', id: 1_000_000, response: big }).byteLength
    const pauseAt = 2 * 1024 * 1024
    const { server, client } = await trio({ maxUnsentReplyBytes: pauseAt, refuseUnsentReplyBytes: 4 * pauseAt, initialServing: 4 })
    let serving = 0
    let peak = 0
    server.serve = async (_from, request): Promise<Response> => {
      peak = Math.max(peak, ++serving)
      await new Promise((resolve) => setTimeout(resolve, 5))
      serving--
      return request.type === 'ping' ? big : { type: 'ok' }
    }
    const answers = await Promise.all(Array.from({ length: 64 }, async () => client.network.request(server.id, { type: 'ping' }, 20_000)))
    expect(answers.every((a) => a.type === 'hashes')).toBe(true)
    // 4 before the first reply, then as many as the bound holds at ~530 KiB each.
    expect(peak).toBeLessThanOrEqual(Math.max(4, Math.floor(pauseAt / bigBytes)))
    peak = 0
    await Promise.all(Array.from({ length: 64 }, async () => client.network.request(server.id, { type: 'members-view' }, 20_000)))
    // Small replies bring the average down and the cap back up (at most the 64 in flight).
    expect(peak).toBeGreaterThan(16)
  })

  it('a partial frame parked past its deadline resets the stream and is counted', async () => {
    const { server, client, attacker } = await trio({ partialFrameBaseMs: 300, partialFrameBytesPerSecond: 1024 * 1024 * 1024 })
    const before = server.network.stats.partialFrameTimeouts
    const { stream, closed } = await rawStream(attacker, server)
    // Announce 1 MiB, send 1,000 bytes of it, then nothing.
    stream.send(concat([encodeLength(1024 * 1024), new Uint8Array(1000)]))
    await waitFor('the stream to be reset', closed)
    expect(server.network.stats.partialFrameTimeouts).toBe(before + 1)
    expect(await client.network.request(server.id, { type: 'ping' }, 5_000)).toEqual({ type: 'ok' })
  })

  it('unfinished frames past the per-peer byte bound reset the stream that crossed it, are counted, and the honest peer is still served', async () => {
    const bound = 1024 * 1024
    const { server, client, attacker } = await trio({ maxPartialBytesPerPeer: bound, partialFrameBaseMs: 60_000 })
    const first = await rawStream(attacker, server)
    const second = await rawStream(attacker, server)
    // Each announces a 1 MiB frame and parks 600 KiB of it: one alone is within the bound, both are not.
    first.stream.send(concat([encodeLength(1024 * 1024), new Uint8Array(600 * 1024)]))
    await waitFor('the first stream\'s bytes buffered', () => server.network.stats.partialBytesPeak >= 600 * 1024)
    expect(first.closed()).toBe(false)
    second.stream.send(concat([encodeLength(1024 * 1024), new Uint8Array(600 * 1024)]))
    await waitFor('the second stream to be reset', second.closed)
    expect(server.network.stats.partialBytesResets).toBe(1)
    expect(first.closed()).toBe(false)
    expect(await client.network.request(server.id, { type: 'ping' }, 5_000)).toEqual({ type: 'ok' })
    first.stream.abort(new Error('done'))
  })

  it('a frame that keeps arriving at a slow but allowed rate is not cut off', async () => {
    const { server, attacker } = await trio({ partialFrameBaseMs: 2_000, partialFrameBytesPerSecond: 1024 * 1024 * 1024 })
    const { stream, received } = await rawStream(attacker, server)
    const frame = lp(encodeFrame({ kind: 'request', id: 1, request: { type: 'ping' } }))
    // The prefix now, the body a little later: well within 2 s.
    stream.send(frame.subarray(0, 1))
    await new Promise((resolve) => setTimeout(resolve, 50))
    stream.send(frame.subarray(1))
    await waitFor('the response', () => received() > 0)
    expect(server.network.stats.partialFrameTimeouts).toBe(0)
    stream.abort(new Error('done'))
  })

  it('a burst of junk frames past the invalid-frame budget resets the stream, is counted, and the honest peer is still served', async () => {
    const burst = 5
    const { server, client, attacker } = await trio({ invalidFrameBurst: burst, invalidFramesPerSecond: 0.001 })
    const before = server.network.stats.invalidFrames
    const { stream, closed } = await rawStream(attacker, server)
    // Requests of an unknown type with readable ids (below 24: one CBOR byte): each alone
    // would get a bad-request answer and leave the stream open.
    const junk = concat(Array.from({ length: 20 }, (_, i) => lp(Uint8Array.from([0x83, 0x00, i, 0x81, 0x18, 0x63]))))
    stream.send(junk)
    await waitFor('the stream to be reset', closed)
    const stats = server.network.stats
    expect(stats.invalidFrameBudgetResets).toBe(1)
    // The budget, then the frame that found it spent; the rest were never decoded.
    expect(stats.invalidFrames - before).toBe(burst + 1)
    expect(await client.network.request(server.id, { type: 'ping' }, 5_000)).toEqual({ type: 'ok' })
    // A new stream from the same peer does not get a new budget.
    const again = await rawStream(attacker, server)
    again.stream.send(lp(Uint8Array.from([0x83, 0x00, 0x01, 0x81, 0x18, 0x63])))
    await waitFor('the second stream to be reset', again.closed)
    expect(stats.invalidFrameBudgetResets).toBe(2)
  })

  it('charges a large invalid frame by its size: two big junk frames spend a budget that would take five small ones', async () => {
    const { server, client, attacker } = await trio({ invalidFrameBurst: 5, invalidFramesPerSecond: 0.001, invalidFrameUnitBytes: 1024 })
    const { stream, received, closed } = await rawStream(attacker, server)
    // A request header with a readable id, then 4 KiB of junk: 4 units each.
    const big = (id: number): Uint8Array => lp(concat([Uint8Array.from([0x83, 0x00, id]), new Uint8Array(4096).fill(0xff)]))
    stream.send(big(1))
    await waitFor('the bad-request answer to the first', () => received() > 0)
    expect(closed()).toBe(false)
    stream.send(big(2))
    await waitFor('the stream to be reset', closed)
    expect(server.network.stats.invalidFrameBudgetResets).toBe(1)
    expect(await client.network.request(server.id, { type: 'ping' }, 5_000)).toEqual({ type: 'ok' })
  })

  it('refuses a request beyond the per-peer serving bound, on another stream, with a reply naming the limit', async () => {
    const { server, client, attacker } = await trio({ maxServingPerPeer: 2 })
    let busy = 0
    const releases: Array<() => void> = []
    server.serve = async (_from, request): Promise<Response> => {
      if (request.type !== 'replica-get') return { type: 'ok' }
      busy++
      await new Promise<void>((resolve) => releases.push(resolve))
      return { type: 'clock', clock: null }
    }
    const a = await rawStream(attacker, server)
    const b = await rawStream(attacker, server)
    const get = (id: number): Uint8Array => lp(encodeFrame({ kind: 'request', id, request: { type: 'replica-get', key: 'k' } }))
    a.stream.send(concat([get(1), get(2)]))
    await waitFor('two requests being served', () => busy === 2)
    b.stream.send(get(3))
    await waitFor('the refusal', () => b.frames.length === 1)
    expect(b.frames[0]).toMatchObject({ kind: 'response', id: 3, response: { type: 'error', code: 'unavailable' } })
    expect(JSON.stringify(b.frames[0])).toContain('per-peer limit of 2 requests')
    expect(server.network.stats.peerServingRefusals).toBe(1)
    expect(busy).toBe(2)
    // Another peer has its own slots.
    expect(await client.network.request(server.id, { type: 'ping' }, 5_000)).toEqual({ type: 'ok' })
    // Slots come back when requests finish.
    for (const release of releases.splice(0)) release()
    await waitFor('the two answers', () => a.frames.length === 2)
    b.stream.send(get(4))
    await waitFor('the fourth request served', () => busy === 3)
    for (const release of releases.splice(0)) release()
    await waitFor('its answer', () => b.frames.length === 2)
    expect(b.frames[1]).toEqual({ kind: 'response', id: 4, response: { type: 'clock', clock: null } })
  })

  it('refuses an oversized frame on its length prefix, before buffering its body', async () => {
    const { server, attacker } = await trio({ invalidFrameBurst: 100 })
    const { stream, closed } = await rawStream(attacker, server)
    const before = server.network.stats.invalidFrames
    // Only the prefix is sent: the reset cannot have waited for the body.
    stream.send(encodeLength(9 * 1024 * 1024))
    await waitFor('the stream to be reset', closed)
    expect(server.network.stats.invalidFrames).toBe(before + 1)
  })
})
