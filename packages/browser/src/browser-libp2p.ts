/**
 * Builds a browser tab's libp2p node: WebSockets to daemons, WebRTC to other tabs with the
 * SDP exchanged over a circuit-relay-v2 connection through a daemon, noise, yamux,
 * identify, ping and the cluster's gossipsub. No mDNS, no bootstrap lists, no STUN: the
 * only peers dialled are the ones the host names, and nothing leaves the machine that the
 * host did not ask for. The node is returned unstarted (Libp2pNetwork.start starts it).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { createPubSub, lazyYamuxWindowUpdates } from '@ringstore/net-libp2p'
import type { PubSubService } from '@ringstore/net-libp2p'
import type { FaultGater } from './fault-gater.js'

// A type alias, not an interface: libp2p's ServiceMap constraint needs an index signature.
export type BrowserServices = {
  pubsub: PubSubService
  identify: Identify
  ping: Ping
}

export interface BrowserLibp2pOptions {
  readonly privateKey: PrivateKey
  readonly gater: FaultGater
  /** Listen for WebRTC through a relay reservation and dial tabs over WebRTC. */
  readonly webrtc: boolean
}

/**
 * WebRTC without ICE servers: host candidates are enough between tabs of one machine, and
 * the default configuration would ask public STUN servers (traffic off this machine). A
 * fresh object per connection: @libp2p/webrtc writes into the configuration it is given.
 */
export function rtcConfiguration (): RTCConfiguration {
  return { iceServers: [] }
}

export async function createBrowserLibp2p (options: BrowserLibp2pOptions): Promise<Libp2p<BrowserServices>> {
  const transports = options.webrtc
    // webRTC before the relay transport: a `/p2p-circuit/webrtc` address is WebRTC's to dial.
    ? [webSockets(), webRTC({ rtcConfiguration }), circuitRelayTransport()]
    : [webSockets()]
  lazyYamuxWindowUpdates()
  return createLibp2p<BrowserServices>({
    start: false,
    privateKey: options.privateKey,
    addresses: {
      // '/p2p-circuit': reserve a slot on a connected relay (a daemon) once one is found;
      // '/webrtc': accept WebRTC connections signalled over such a relayed connection.
      listen: options.webrtc ? ['/p2p-circuit', '/webrtc'] : []
    },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: options.gater,
    peerDiscovery: [],
    services: {
      pubsub: createPubSub(),
      identify: identify(),
      ping: ping()
    }
  })
}
