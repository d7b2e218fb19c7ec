/**
 * The browser peer against two real daemons (started by daemons.setup.ts): WebSockets,
 * HTTP read-back, offline writes with hints delivered on reconnect, blocking a peer, and
 * two browser peers talking over WebRTC signalled through a daemon's relay.
 */
import { decodeSignedAdmission } from '@ringstore/core'
import type { SignedAdmission } from '@ringstore/core'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { commands } from 'vitest/browser'
import { QuorumNotMetError, createBrowserPeer } from '../src/index.js'
import type { BrowserPeer, BrowserPeerOptions } from '../src/index.js'
import type { DaemonInfo } from './daemon-info.js'
import { decode, text, uniqueKey, uniqueName, waitFor } from './helpers.js'

const daemons = inject('daemons')
const [d1, d2] = daemons as [DaemonInfo, DaemonInfo]

const running: BrowserPeer[] = []
afterEach(async () => {
  for (const peer of running.splice(0)) await peer.stop()
})

/** A peer of the daemons' cluster: it takes as members only peers its authority admitted. */
async function start (options: Partial<BrowserPeerOptions> = {}): Promise<BrowserPeer> {
  const peer = await createBrowserPeer({ bootstrap: [d1.ws], name: uniqueName('net'), config: { clusterId: d1.clusterId }, ...options })
  running.push(peer)
  return peer
}

/**
 * A full peer (weight 1), as an operator makes one: the tab's id first (a light start on
 * the same name: the identity stays in its IndexedDB), then `ringstore admit` for it.
 */
async function startAdmitted (): Promise<BrowserPeer> {
  const name = uniqueName('full')
  const probe = await start({ name })
  const id = probe.id
  await probe.stop()
  running.splice(running.indexOf(probe), 1)
  const admission = certificateOf(await commands.admit(inject('clusterSecret'), id, 1))
  const peer = await start({ name, weight: 1, admission })
  expect(peer.id).toBe(id)
  return peer
}

/** The `certificate` field `ringstore admit` prints (base64url) as a SignedAdmission. */
function certificateOf (base64url: string): SignedAdmission {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/')
  return decodeSignedAdmission(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))
}

/** Waits until the peer knows both daemons as reachable members. */
async function joined (peer: BrowserPeer): Promise<void> {
  await waitFor('both daemons reachable members', () => {
    const reachable = peer.status().members.filter((m) => m.reachable).map((m) => m.id)
    return reachable.includes(d1.peerId) && reachable.includes(d2.peerId)
  })
}

/** True when the peer listens on a `/p2p-circuit` address (a reservation on d1's relay). */
function listensThroughRelay (peer: BrowserPeer): boolean {
  return peer.libp2p.getMultiaddrs().some((ma) => ma.toString().includes(`/p2p/${d1.peerId}/p2p-circuit`))
}

/** GET through a daemon's HTTP API: the value as text, or null on 404. */
async function daemonRead (daemon: DaemonInfo, key: string): Promise<string | null> {
  const response = await fetch(`${daemon.http}/kv/${encodeURIComponent(key)}`)
  if (response.status === 404) return null
  if (response.status !== 200) throw new Error(`daemon answered ${response.status}: ${await response.text()}`)
  return await response.text()
}

describe('a browser peer with daemons', () => {
  it('a tab of weight 1 without a certificate is refused: the cluster takes admitted members only', async () => {
    const refused = await createBrowserPeer({ bootstrap: [d1.ws], name: uniqueName('unadmitted'), config: { clusterId: d1.clusterId }, weight: 1 }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(Error)
    expect(String(refused)).toMatch(/needs an admission certificate/)
  })

  it('connects to its bootstrap daemon over WebSockets and learns the cluster', async () => {
    const peer = await start()
    await joined(peer)
    const status = peer.status()
    expect(status.online).toBe(true)
    expect(status.connections).toContainEqual({ peer: d1.peerId, transport: 'websocket' })
    // A light peer is in the table but owns nothing: the daemons own all partitions.
    const owners = status.ring.members.filter((m) => m.partitions > 0).map((m) => m.id).sort()
    expect(owners).toEqual([d1.peerId, d2.peerId].sort())
    expect(status.self.weight).toBe(0)
  })

  it('a put in the browser (W=2) is readable through each daemon\'s HTTP API', async () => {
    const peer = await start()
    await joined(peer)
    const key = uniqueKey('cart')
    const put = await peer.put(key, text('two apples'), { w: 2 })
    expect(put.acks).toBe(2)
    expect(await daemonRead(d1, key)).toBe('two apples')
    expect(await daemonRead(d2, key)).toBe('two apples')
    // And the browser keeps its own replica of what it wrote.
    expect(await peer.peer.localGet(key)).not.toBeNull()
  })

  it('offline: writes are accepted locally with hints; online again, the hints reach the daemons', async () => {
    const peer = await start()
    await joined(peer)
    let changes = 0
    peer.onChange(() => { changes++ })

    await peer.faults.goOffline()
    await waitFor('no connections', () => peer.status().connections.length === 0)
    expect(peer.status().online).toBe(false)
    const before = changes

    const key = uniqueKey('offline-cart')
    const put = await peer.put(key, text('bread'), { w: 1 })
    expect(put.acks).toBe(1)
    const refused = await peer.put(uniqueKey('offline-w2'), text('x'), { w: 2 }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(QuorumNotMetError)
    expect((refused as QuorumNotMetError).acks).toBe(1)
    expect(peer.status().hintsPending).toBeGreaterThan(0)
    // Its copy is none of the key's replicas: a quorum read fails offline, a local read answers.
    await expect(peer.get(key, { r: 1 })).rejects.toBeInstanceOf(QuorumNotMetError)
    expect((await peer.get(key, { local: true })).values.map(decode)).toEqual(['bread'])
    // The daemons have not seen it.
    expect(await daemonRead(d1, key)).toBeNull()
    await waitFor('a change notification for the pending hints', () => changes > before)

    await peer.faults.goOnline()
    await waitFor('hints delivered', () => peer.status().hintsPending === 0)
    expect(peer.status().online).toBe(true)
    expect(await daemonRead(d1, key)).toBe('bread')
    expect(await daemonRead(d2, key)).toBe('bread')
  })

  it('block() cuts one daemon and keeps it out; unblock() lets it back', async () => {
    const peer = await start({ bootstrap: [d1.ws, d2.ws] })
    await joined(peer)
    await waitFor('connected to both daemons', () => peer.status().connections.some((c) => c.peer === d2.peerId))

    await peer.faults.block(d1.peerId)
    expect(peer.status().blocked).toEqual([d1.peerId])
    await waitFor('d1 hung up', () => !peer.status().connections.some((c) => c.peer === d1.peerId))
    await waitFor('d1 unreachable', () => peer.status().members.find((m) => m.id === d1.peerId)?.reachable === false)
    // Writes still reach W=2: d2 coordinates and replicates to d1 over the daemons' own link.
    const key = uniqueKey('blocked')
    expect((await peer.put(key, text('milk'), { w: 2 })).acks).toBe(2)
    // Re-dialling the blocked daemon is refused by the gater.
    expect(peer.status().connections.some((c) => c.peer === d1.peerId)).toBe(false)

    await peer.faults.unblock(d1.peerId)
    expect(peer.status().blocked).toEqual([])
    await waitFor('d1 connected again', () => peer.status().connections.some((c) => c.peer === d1.peerId && c.transport === 'websocket'))
    await joined(peer)
  })

  it('two browser peers talk over WebRTC signalled through the relay, with every daemon blocked', async () => {
    // b is a full peer (weight 1, admitted): it owns partitions, so a light peer's requests go to it.
    const b = await startAdmitted()
    const a = await start()
    await joined(a)
    await joined(b)
    await waitFor('a knows b', () => a.status().members.some((m) => m.id === b.id))
    await waitFor('b holds a relay reservation', () => listensThroughRelay(b))

    // A read at R=3 asks every replica, b included: a dials b over WebRTC via d1's relay.
    const key = uniqueKey('webrtc')
    await waitFor('a WebRTC connection from a to b', async () => {
      await a.get(key, { r: 3 }).catch(() => undefined)
      return a.status().connections.some((c) => c.peer === b.id && c.transport === 'webrtc')
    }, 20_000, 250)

    // Every RTCPeerConnection so far went without ICE servers: no STUN, nothing off the machine.
    const configurations = (globalThis as { rtcConfigurations?: RTCConfiguration[] }).rtcConfigurations ?? []
    expect(configurations.length).toBeGreaterThan(0)
    expect(configurations.every((c) => c.iceServers?.length === 0)).toBe(true)

    for (const peer of [a, b]) {
      for (const daemon of [d1, d2]) await peer.faults.block(daemon.peerId)
    }
    await waitFor('daemons gone for a', () => a.status().connections.every((c) => c.peer === b.id))
    expect(a.status().connections).toContainEqual({ peer: b.id, transport: 'webrtc' })

    // b coordinates a write nobody else can take (W=1, hints for the daemons); a reads it from b.
    expect((await b.put(key, text('from b'), { w: 1 })).acks).toBe(1)
    // R=1: b's replica (a light peer's own copy, empty here, is none of the key's replicas).
    const read = await a.get(key, { r: 1 })
    expect(read.values.map(decode)).toEqual(['from b'])
    // a's write (a light peer mints it) reaches W=2 only with b's ack, over the same connection.
    const key2 = uniqueKey('webrtc-2')
    expect((await a.put(key2, text('from a'), { w: 2 })).acks).toBe(2)
    expect(await b.peer.localGet(key2)).not.toBeNull()

    // Daemons back: b's hints reach them.
    for (const peer of [a, b]) {
      for (const daemon of [d1, d2]) await peer.faults.unblock(daemon.peerId)
    }
    await waitFor('b delivered its hints', () => b.status().hintsPending === 0, 20_000)
    expect(await daemonRead(d1, key)).toBe('from b')
    // The relay reservation that the block cut is made again: b is reachable for new tabs.
    await waitFor('b reserved again on the relay', () => listensThroughRelay(b), 20_000)
    // b leaves for good, so the daemons stop routing to it after this test.
    await b.peer.leave()
  })
})
