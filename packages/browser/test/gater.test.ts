// Pure logic of the browser package, run by the root Node suite (the *.spec.ts files run in Chromium).
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { FaultGater, peersIn } from '../src/fault-gater.js'
import { transportOf } from '../src/transport.js'

async function newPeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('FaultGater', () => {
  it('allows loopback and plain ws by default (the browser default would refuse both)', async () => {
    const gater = new FaultGater()
    const daemon = await newPeerId()
    expect(gater.denyDialMultiaddr(multiaddr(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${daemon}`))).toBe(false)
    expect(gater.denyDialPeer(daemon)).toBe(false)
    expect(gater.denyInboundConnection()).toBe(false)
  })

  it('offline refuses every dial and every connection', async () => {
    const gater = new FaultGater()
    const peer = await newPeerId()
    gater.offline = true
    expect(gater.denyDialMultiaddr(multiaddr('/ip4/127.0.0.1/tcp/4001/ws'))).toBe(true)
    expect(gater.denyDialPeer(peer)).toBe(true)
    expect(gater.denyInboundConnection()).toBe(true)
    expect(gater.denyInboundEncryptedConnection(peer)).toBe(true)
    expect(gater.denyOutboundUpgradedConnection(peer)).toBe(true)
    gater.offline = false
    expect(gater.denyDialPeer(peer)).toBe(false)
  })

  it('a blocked peer is refused directly, as a relay and as a relayed party; others are not', async () => {
    const gater = new FaultGater()
    const [relay, tab, other] = await Promise.all([newPeerId(), newPeerId(), newPeerId()])
    gater.blocked.add(relay.toString())
    const circuit = multiaddr(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${tab}`)
    expect(peersIn(circuit)).toEqual([relay.toString(), tab.toString()])
    expect(gater.denyDialMultiaddr(circuit)).toBe(true)
    expect(gater.denyDialPeer(relay)).toBe(true)
    expect(gater.denyDialPeer(tab)).toBe(false)
    expect(gater.denyInboundRelayedConnection(relay, tab)).toBe(true)
    expect(gater.denyInboundRelayedConnection(other, tab)).toBe(false)
    expect(gater.denyOutboundRelayedConnection(tab, relay)).toBe(true)
    expect(gater.denyOutboundEncryptedConnection(relay)).toBe(true)
    expect(gater.denyDialMultiaddr(multiaddr(`/ip4/127.0.0.1/tcp/4002/ws/p2p/${other}`))).toBe(false)
  })
})

describe('transportOf', () => {
  const of = (addr: string, limited = false): string => transportOf({ remoteAddr: multiaddr(addr), limits: limited ? { bytes: 1n } : undefined })
  it('tells WebSockets, relayed circuits and WebRTC apart', async () => {
    const [d, t] = await Promise.all([newPeerId(), newPeerId()])
    expect(of(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${d}`)).toBe('websocket')
    expect(of(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${d}/p2p-circuit/p2p/${t}`, true)).toBe('relay')
    // A WebRTC connection's address still names the relay that signalled it.
    expect(of(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${d}/p2p-circuit/webrtc/p2p/${t}`)).toBe('webrtc')
    expect(of('/ip4/127.0.0.1/tcp/4001')).toBe('other')
  })
})
