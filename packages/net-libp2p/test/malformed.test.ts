/**
 * A peer that speaks the RPC protocol badly: raw streams carrying garbage, an absurd length
 * prefix, CBOR of the wrong shape. The node counts each, answers what it can, resets what
 * it cannot, and keeps serving everyone else.
 */
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { decodeFrame } from '@ringstore/core'
import type { Frame } from '@ringstore/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FrameDecoder, encodeLength } from '../src/framing.js'
import { RPC_PROTOCOL } from '../src/node-index.js'
import { startPeer, stopAll, waitFor } from './helpers.js'
import type { TestPeer } from './helpers.js'

let server: TestPeer
let client: TestPeer
let attacker: TestPeer

beforeAll(async () => {
  server = await startPeer()
  client = await startPeer()
  attacker = await startPeer()
  server.serve = async () => ({ type: 'ok' })
  await client.network.dial(server.addr)
  await attacker.network.dial(server.addr)
})
afterAll(stopAll)

/** A raw RPC stream from the attacker to the server, collecting decoded frames and the close. */
async function rawStream (): Promise<{ stream: Stream, frames: Frame[], closed: Promise<void> }> {
  const stream = await attacker.network.node.dialProtocol(peerIdFromString(server.id), RPC_PROTOCOL)
  const frames: Frame[] = []
  const decoder = new FrameDecoder()
  stream.addEventListener('message', (event) => {
    const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    for (const bytes of decoder.push(data)) frames.push(decodeFrame(bytes))
  })
  const closed = new Promise<void>((resolve) => stream.addEventListener('close', () => resolve()))
  return { stream, frames, closed }
}

function lp (payload: Uint8Array): Uint8Array {
  const prefix = encodeLength(payload.byteLength)
  const out = new Uint8Array(prefix.byteLength + payload.byteLength)
  out.set(prefix)
  out.set(payload, prefix.byteLength)
  return out
}

async function serverStillServes (): Promise<void> {
  expect(await client.network.request(server.id, { type: 'members-pull' }, 2_000)).toEqual({ type: 'ok' })
}

describe('malformed frames on the RPC stream', () => {
  it('answers a request of the wrong shape whose id is readable with a bad-request error', async () => {
    const before = server.network.stats.invalidFrames
    const { stream, frames } = await rawStream()
    // CBOR [0, 7, [99]]: a request frame, id 7, request type 99 (no such type).
    stream.send(lp(Uint8Array.from([0x83, 0x00, 0x07, 0x81, 0x18, 0x63])))
    // Then a valid request on the same stream: the stream survived.
    stream.send(lp(Uint8Array.from([0x83, 0x00, 0x08, 0x81, 0x06])))
    await waitFor('two responses', () => frames.length === 2)
    expect(frames[0]).toMatchObject({ kind: 'response', id: 7, response: { type: 'error', code: 'bad-request' } })
    expect(frames[1]).toEqual({ kind: 'response', id: 8, response: { type: 'ok' } })
    expect(server.network.stats.invalidFrames).toBe(before + 1)
    await serverStillServes()
    stream.abort(new Error('done'))
  })

  const resets: Array<[string, Uint8Array]> = [
    ['garbage bytes', lp(Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff))],
    ['valid CBOR of the wrong shape without an id', lp(Uint8Array.from([0xa1, 0x61, 0x61, 0x01]))],
    ['an oversized length prefix', Uint8Array.from([...encodeLength(100 * 1024 * 1024), 1, 2, 3])],
    ['a length prefix that never ends', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['an empty frame', lp(new Uint8Array(0))]
  ]
  for (const [what, bytes] of resets) {
    it(`resets the stream on ${what}, and keeps serving`, async () => {
      const before = server.network.stats.invalidFrames
      const { stream, closed } = await rawStream()
      stream.send(bytes)
      await closed
      expect(server.network.stats.invalidFrames).toBe(before + 1)
      await serverStillServes()
    })
  }

  it('survives a flood of random frames from many streams', async () => {
    const before = server.network.stats.invalidFrames
    let seed = 42
    const random = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
    const streams = await Promise.all(Array.from({ length: 3 }, async () => rawStream()))
    for (const { stream } of streams) {
      for (let i = 0; i < 50; i++) {
        // Mostly well-framed junk that starts like a request frame, so most get answered.
        const body = Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256))
        const payload = random() < 0.7 ? Uint8Array.from([0x83, 0x00, i, ...body]) : body
        try { stream.send(lp(payload)) } catch { break }
      }
    }
    await waitFor('frames counted', () => server.network.stats.invalidFrames > before)
    await serverStillServes()
    for (const { stream } of streams) stream.abort(new Error('done'))
  })
})
