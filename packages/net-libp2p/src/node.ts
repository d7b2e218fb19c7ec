/**
 * Builds the daemon's libp2p node (Node only): TCP and WebSockets listeners, noise,
 * yamux, identify, ping, gossipsub, optionally a circuit-relay-v2 server so browsers can
 * signal WebRTC through the daemon. No mDNS, no bootstrap lists: nothing is dialled that
 * the caller did not ask for. The node is returned unstarted; `Libp2pNetwork.start` starts it.
 */
import './polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { Libp2p, ServiceFactoryMap } from 'libp2p'
import { DEFAULT_RELAY_RESERVATIONS } from './constants.js'
import { createPubSub } from './gossipsub.js'
import { tuneEncrypter } from './encrypter-tuning.js'
import { lazyYamuxWindowUpdates } from './yamux-window.js'
import type { PubSubService } from './gossipsub.js'

export interface NodeLibp2pOptions {
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/0` and `/ip4/127.0.0.1/tcp/0/ws`. */
  readonly listen: readonly string[]
  /** The persistent identity (identity.ts); a fresh one when absent. */
  readonly privateKey?: PrivateKey
  /** Addresses to announce instead of the listen addresses (behind NAT, in containers). */
  readonly announce?: readonly string[]
  /** Run a circuit-relay-v2 server (for browsers signalling WebRTC through us). */
  readonly relayServer?: boolean | { readonly maxReservations?: number }
}

// A type alias, not an interface: libp2p's ServiceMap constraint needs an index signature.
export type NodeServices = {
  pubsub: PubSubService
  identify: Identify
  ping: Ping
  relay?: CircuitRelayService
}

export async function createNodeLibp2p (options: NodeLibp2pOptions): Promise<Libp2p<NodeServices>> {
  const relay = options.relayServer
  const maxReservations = typeof relay === 'object' ? relay.maxReservations ?? DEFAULT_RELAY_RESERVATIONS : DEFAULT_RELAY_RESERVATIONS
  const services: ServiceFactoryMap<NodeServices> = {
    pubsub: createPubSub(),
    identify: identify(),
    ping: ping()
  }
  if (relay !== undefined && relay !== false) {
    services.relay = circuitRelayServer({ reservations: { maxReservations } })
  }
  lazyYamuxWindowUpdates()
  return createLibp2p<NodeServices>({
    start: false,
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    addresses: {
      listen: [...options.listen],
      ...(options.announce === undefined ? {} : { announce: [...options.announce] })
    },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [tuneEncrypter(noise())],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services
  })
}
