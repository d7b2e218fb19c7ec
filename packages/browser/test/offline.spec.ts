import { afterEach, describe, expect, it } from 'vitest'
import { QuorumNotMetError, createBrowserPeer } from '../src/index.js'
import type { BrowserPeer } from '../src/index.js'
import { decode, text, uniqueName } from './helpers.js'

/** Capability keys: a tab may write no others (core's key-rights.ts). */
const CART_1 = 'cap/offline-cart-one-000000000'
const CART_2 = 'cap/offline-cart-two-000000000'
const KEY = 'cap/offline-dead-daemon-0000000'

const running: BrowserPeer[] = []
afterEach(async () => {
  for (const peer of running.splice(0)) await peer.stop()
})

async function start (name: string, bootstrap: string[] = []): Promise<BrowserPeer> {
  const peer = await createBrowserPeer({ bootstrap, name, webrtc: false })
  running.push(peer)
  return peer
}

describe('a browser peer with nobody reachable', () => {
  it('accepts W=1 writes locally, refuses W=2 with acks 1, reads locally, keeps data across a restart', async () => {
    const name = uniqueName('offline')
    const peer = await start(name)
    const put = await peer.put(CART_1, text('apples'), { w: 1 })
    expect(put.acks).toBe(1)

    const refused = await peer.put(CART_2, text('pears'), { w: 2 }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(QuorumNotMetError)
    expect((refused as QuorumNotMetError).name).toBe('QuorumNotMetError')
    expect((refused as QuorumNotMetError).acks).toBe(1)
    expect((refused as QuorumNotMetError).required).toBe(2)

    // It never learnt a ring: with no owners at all its copy is the only one and counts for
    // R (once it knows the members it no longer does: daemons.spec.ts, "offline: …").
    expect((await peer.get(CART_1, { r: 1 })).replies).toBe(1)
    const read = await peer.get(CART_1, { local: true })
    expect(read.found).toBe(true)
    expect(read.values.map(decode)).toEqual(['apples'])
    // The refused write still stands locally (it is not undone; it spreads later).
    expect((await peer.get(CART_2, { local: true })).values.map(decode)).toEqual(['pears'])

    // An update with the read context supersedes, offline too.
    await peer.put(CART_1, text('apples, bread'), { w: 1, context: read.context })
    await peer.stop()

    const again = await start(name)
    const after = await again.get(CART_1, { local: true })
    expect(after.values.map(decode)).toEqual(['apples, bread'])
    expect(again.status().keys).toBe(2)
    expect(again.status().online).toBe(false)
  })

  it('a daemon address that refuses connections is the same as offline', async () => {
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    const peer = await start(uniqueName('offline-dead'), ['/ip4/127.0.0.1/tcp/9/ws/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'])
    expect((await peer.put(KEY, text('v'), { w: 1 })).acks).toBe(1)
    expect((await peer.get(KEY, { local: true })).values.map(decode)).toEqual(['v'])
    expect(peer.status().connections).toEqual([])
  })
})
