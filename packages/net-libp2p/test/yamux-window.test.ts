import { describe, it, expect } from 'vitest'
import '../src/polyfill.js'
import { yamux } from '@libp2p/yamux'
import type { Stream } from '@libp2p/interface'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { lazyYamuxWindowUpdates } from '../src/yamux-window.js'

/** Yamux's frame type of a window update (frame.ts: Data 0, WindowUpdate 1). */
const WINDOW_UPDATE = 1

interface Counted { readonly stream: Stream, readonly windowUpdates: () => number, readonly received: () => number }

/** Counts the window-update frames a stream sends and the bytes it receives. */
function counted (stream: Stream): Counted {
  const inner = stream as unknown as { sendFrame: (header: { type: number }, body?: unknown) => boolean }
  const send = inner.sendFrame
  let updates = 0
  let bytes = 0
  inner.sendFrame = (header, body) => {
    if (header.type === WINDOW_UPDATE) updates++
    return send(header, body)
  }
  stream.addEventListener('message', (event) => { bytes += event.data.byteLength })
  return { stream, windowUpdates: () => updates, received: () => bytes }
}

/** A client stream to an echo server over an in-memory connection pair. */
async function echoPair (): Promise<Counted> {
  const [outbound, inbound] = multiaddrConnectionPair()
  const client = yamux()().createStreamMuxer(outbound)
  const server = yamux()().createStreamMuxer(inbound)
  server.addEventListener('stream', (event) => {
    const stream = event.detail
    stream.addEventListener('message', (message) => { stream.send(message.data) })
  })
  return counted(await client.createStream())
}

async function until (done: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000
  while (!done() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(done()).toBe(true)
}

describe('lazyYamuxWindowUpdates', () => {
  it('sends no window update per reply: one for each half window received', async () => {
    expect(lazyYamuxWindowUpdates()).toBe(true)
    expect(lazyYamuxWindowUpdates()).toBe(true)
    const { stream, windowUpdates, received } = await echoPair()
    // 200 request/reply round trips of 1 KiB, one at a time, as an RPC stream carries them:
    // yamux's own rule answered each reply with an update (200 frames, ~200 socket writes).
    const message = new Uint8Array(1024).fill(7)
    for (let i = 1; i <= 200; i++) {
      stream.send(message)
      await until(() => received() >= i * 1024)
    }
    // 200 KiB received against a 256 KiB window: more than half, so exactly one update.
    expect(windowUpdates()).toBe(1)
  })

  it('keeps flow control: 8 MiB each way, 32 windows, arrive whole', async () => {
    lazyYamuxWindowUpdates()
    const { stream, windowUpdates, received } = await echoPair()
    const chunk = new Uint8Array(64 * 1024)
    const total = 8 * 1024 * 1024
    for (let sent = 0; sent < total; sent += chunk.byteLength) {
      chunk.fill((sent / chunk.byteLength) % 251)
      if (!stream.send(chunk)) await new Promise((resolve) => stream.addEventListener('drain', resolve, { once: true }))
    }
    await until(() => received() === total)
    // At most one update per half window (the window may also grow up to 16 MiB).
    expect(windowUpdates()).toBeLessThanOrEqual(total / (128 * 1024))
    expect(windowUpdates()).toBeGreaterThan(0)
  })
})
