/**
 * A raw RPC stream to a daemon from a libp2p node of the test's own: frames written as
 * bytes (garbage included) or as requests, and the frames the daemon answers with. The
 * peer on the other end is whatever the test makes of it: an outsider, a forger.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { decodeFrame, encodeFrame } from '@ringstore/core'
import type { Frame, Request, Response } from '@ringstore/core'
import { RPC_PROTOCOL } from '@ringstore/net-libp2p/node'
import type { createNodeLibp2p } from '@ringstore/net-libp2p/node'
import { poll } from './support.js'

type Node = Awaited<ReturnType<typeof createNodeLibp2p>>

export interface RpcStream {
  send(bytes: Uint8Array): void
  /** Sends `request` as a frame with a fresh id and resolves with the daemon's answer. */
  request(request: Request): Promise<Response>
  readonly frames: Frame[]
  readonly closed: Promise<void>
  abort(): void
}

export async function openRpcStream (client: Node, peerId: string): Promise<RpcStream> {
  const stream = await client.dialProtocol(peerIdFromString(peerId), RPC_PROTOCOL)
  const frames: Frame[] = []
  let buffer = new Uint8Array(0)
  let nextId = 1_000
  stream.addEventListener('message', (event) => {
    const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    buffer = Uint8Array.from([...buffer, ...data])
    for (;;) {
      const [length, used] = readVarint(buffer)
      if (used === 0 || buffer.byteLength < used + length) break
      frames.push(decodeFrame(buffer.subarray(used, used + length)))
      buffer = buffer.subarray(used + length)
    }
  })
  const closed = new Promise<void>((resolve) => { stream.addEventListener('close', () => { resolve() }) })
  const send = (bytes: Uint8Array): void => { stream.send(bytes) }
  return {
    send,
    async request (request) {
      const id = nextId++
      send(lengthPrefixed(encodeFrame({ kind: 'request', id, request })))
      const answer = await poll(`the answer to ${request.type}`, () => frames.find((f) => f.kind === 'response' && f.id === id), 10_000, 20)
      if (answer.kind !== 'response') throw new Error('not a response')
      return answer.response
    },
    frames,
    closed,
    abort: () => { stream.abort(new Error('test done')) }
  }
}

export function lengthPrefixed (payload: Uint8Array): Uint8Array {
  const prefix: number[] = []
  let n = payload.byteLength
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  prefix.push(n)
  return Uint8Array.from([...prefix, ...payload])
}

/** [value, bytes used]; used = 0 when the varint is not complete yet. */
export function readVarint (bytes: Uint8Array): [number, number] {
  let value = 0
  for (let i = 0; i < bytes.byteLength && i < 4; i++) {
    const byte = bytes[i] ?? 0
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) return [value, i + 1]
  }
  return [0, 0]
}
