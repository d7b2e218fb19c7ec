import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Response } from '@ringstore/core'
import { afterAll, describe, expect, it } from 'vitest'
import { PeerUnreachableError, RequestTimeoutError } from '@ringstore/peer'
import { RPC_PROTOCOL, createNodeLibp2p } from '../src/node-index.js'
import { startPeer, stopAll, waitFor } from './helpers.js'

afterAll(stopAll)

describe('Libp2pNetwork requests', () => {
  it('dials by address and gets a response to a request', async () => {
    const a = await startPeer()
    const b = await startPeer()
    b.serve = async (from, request) => ({ type: 'error', code: 'not-owner', message: `${from} asked ${request.type}` })
    expect(await a.network.dial(b.addr)).toBe(b.id)
    const response = await a.network.request(b.id, { type: 'members-pull' }, 2_000)
    expect(response).toEqual({ type: 'error', code: 'not-owner', message: `${a.id} asked members-pull` })
    await waitFor('connection events', () => a.connected.has(b.id) && b.connected.has(a.id))
    expect(a.network.connectedPeers()).toContain(b.id)
    expect(a.network.stats.requestsSent).toBe(1)
    expect(b.network.stats.requestsServed).toBe(1)
  })

  it('answers 1,000 concurrent requests over one stream, each with its own response, within the in-flight bound', async () => {
    const a = await startPeer({ maxInFlight: 100 })
    const b = await startPeer()
    let serving = 0
    let maxServing = 0
    b.serve = async (_from, request): Promise<Response> => {
      serving++
      maxServing = Math.max(maxServing, serving)
      // Answer out of order: later requests may finish first.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5))
      serving--
      if (request.type !== 'replica-get-many') return { type: 'error', code: 'bad-request', message: 'unexpected' }
      return { type: 'clocks', items: request.keys.map((key) => [key, null] as const) }
    }
    await a.network.dial(b.addr)
    const keys = Array.from({ length: 1000 }, (_, i) => `key-${i}`)
    const responses = await Promise.all(keys.map(async (key) => a.network.request(b.id, { type: 'replica-get-many', keys: [key] }, 20_000)))
    expect(responses).toEqual(keys.map((key) => ({ type: 'clocks', items: [[key, null]] })))
    expect(maxServing).toBeLessThanOrEqual(100)
    expect(maxServing).toBeGreaterThan(1)
    // One RPC stream each way at most: requests share it instead of opening one each.
    const streams = a.network.node.getConnections().flatMap((c) => c.streams).filter((s) => s.protocol === '/ringstore/rpc/1.0.0')
    expect(streams.length).toBe(1)
  })

  it('times out a request the remote never answers, and the stream keeps working', async () => {
    const a = await startPeer()
    const b = await startPeer()
    b.serve = async (_from, request) => request.type === 'replica-get' && request.key === 'black-hole'
      ? new Promise<Response>(() => {})
      : { type: 'ok' }
    await a.network.dial(b.addr)
    await a.network.request(b.id, { type: 'members-pull' }, 2_000)
    const started = performance.now()
    const err = await a.network.request(b.id, { type: 'replica-get', key: 'black-hole' }, 300).then(() => null, (e: unknown) => e)
    const elapsed = performance.now() - started
    expect(err).toBeInstanceOf(RequestTimeoutError)
    expect((err as Error).name).toBe('RequestTimeoutError')
    expect(elapsed).toBeGreaterThanOrEqual(295)
    // Margin for a loaded 2-core machine running other suites in parallel.
    expect(elapsed).toBeLessThan(300 + 500)
    expect(await a.network.request(b.id, { type: 'members-pull' }, 2_000)).toEqual({ type: 'ok' })
    expect(a.network.stats.timeouts).toBe(1)
  })

  it('rejects with PeerUnreachableError for a peer it cannot reach', async () => {
    const a = await startPeer()
    const unknown = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    // No address known at all.
    await expect(a.network.request(unknown, { type: 'members-pull' }, 2_000)).rejects.toThrow(PeerUnreachableError)
    // An address where nobody listens any more.
    const gone = await startPeer()
    const goneAddr = gone.addr
    await gone.network.stop()
    await a.network.addAddresses(gone.id, [goneAddr.replace(/\/p2p\/.*$/, '')])
    const started = performance.now()
    await expect(a.network.request(gone.id, { type: 'members-pull' }, 2_000)).rejects.toThrow(PeerUnreachableError)
    expect(performance.now() - started).toBeLessThan(2_000)
    await expect(a.network.dial(goneAddr)).rejects.toThrow(PeerUnreachableError)
    await expect(a.network.dial('not a multiaddr')).rejects.toThrow(PeerUnreachableError)
    await expect(a.network.request('not-a-peer-id', { type: 'members-pull' }, 2_000)).rejects.toThrow(PeerUnreachableError)
    await expect(a.network.request(a.id, { type: 'members-pull' }, 2_000)).rejects.toThrow(PeerUnreachableError)
  })

  it('dials a peer it is not connected to through addresses it was given', async () => {
    const a = await startPeer()
    const b = await startPeer()
    expect(a.network.connectedPeers()).not.toContain(b.id)
    await a.network.addAddresses(b.id, [b.addr.replace(/\/p2p\/.*$/, ''), 'garbage'])
    expect(await a.network.request(b.id, { type: 'members-pull' }, 2_000)).toEqual({ type: 'ok' })
    // The list is kept between connection events: the dial's connect event renewed it.
    await waitFor('connect event', () => a.events.some(([kind, id]) => kind === 'up' && id === b.id))
    expect(a.network.connectedPeers()).toContain(b.id)
  })

  it('fails requests in flight at once when the remote goes away, then reports the disconnect', async () => {
    const a = await startPeer()
    const b = await startPeer()
    b.serve = async () => new Promise<Response>(() => {})
    await a.network.dial(b.addr)
    expect(a.network.connectedPeers()).toContain(b.id)
    const pending = a.network.request(b.id, { type: 'members-pull' }, 10_000).then(() => null, (e: unknown) => e)
    await waitFor('request to arrive', () => a.network.stats.requestsSent === 1)
    const started = performance.now()
    await b.network.stop()
    const err = await pending
    expect(err).toBeInstanceOf(PeerUnreachableError)
    expect(performance.now() - started).toBeLessThan(2_000)
    await waitFor('disconnect event', () => a.events.some(([kind, id]) => kind === 'down' && id === b.id))
    expect(a.network.connectedPeers()).not.toContain(b.id)
  })

  it('fails a pending request at once when the peer closes its end of the stream', async () => {
    const a = await startPeer()
    // A bare libp2p node whose RPC handler reads the request and hangs up politely.
    const rude = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    await rude.handle(RPC_PROTOCOL, (stream) => {
      stream.addEventListener('message', () => { void stream.close() }, { once: true })
    })
    await rude.start()
    try {
      const addr = rude.getMultiaddrs().map(String).find((m) => !m.includes('/ws')) as string
      await a.network.dial(addr)
      const started = performance.now()
      const err = await a.network.request(rude.peerId.toString(), { type: 'members-pull' }, 5_000).then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(PeerUnreachableError)
      expect(performance.now() - started).toBeLessThan(1_000)
    } finally {
      await rude.stop()
    }
  })

  it('builds a node with a WebSocket listener and a circuit-relay-v2 server on request', async () => {
    const node = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], relayServer: { maxReservations: 4 } })
    await node.start()
    try {
      expect(node.getMultiaddrs().map(String).some((m) => m.includes('/ws/p2p/'))).toBe(true)
      expect(node.getProtocols()).toContain('/libp2p/circuit/relay/0.2.0/hop')
    } finally {
      await node.stop()
    }
  })
})
