/**
 * @ringstore/net-libp2p — the engine's `Network` and `Signer` over libp2p: replication
 * requests on long-lived per-peer streams (`/ringstore/rpc/1.0.0`, length-prefixed CBOR
 * frames with request ids, a bound on requests in flight), membership announcements on a
 * gossipsub topic per cluster, connection events. This entry point is browser-safe; the
 * Node daemon's node builder and key file live in `@ringstore/net-libp2p/node`.
 *
 * @example
 * import { createNodeLibp2p, loadOrCreatePrivateKey, Libp2pNetwork, Libp2pSigner } from '@ringstore/net-libp2p/node'
 * const privateKey = await loadOrCreatePrivateKey('./data/peer-1')
 * const node = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'], privateKey })
 * const network = new Libp2pNetwork(node, { cluster: 'demo' })
 * const signer = new Libp2pSigner(privateKey)
 * await network.start(handlers)   // starts the libp2p node too
 */
import './polyfill.js'

export { Libp2pNetwork } from './network.js'
export type { Libp2pNetworkOptions, RingstoreLibp2p } from './network.js'
export { Libp2pSigner } from './signer.js'
export { ClusterSecretError, clusterAuthority } from './cluster-authority.js'
export type { ClusterAuthority } from './cluster-authority.js'
export { CLUSTER_SECRET_BYTES } from './constants.js'
export { createPubSub } from './gossipsub.js'
export { lazyYamuxWindowUpdates } from './yamux-window.js'
export type { PubSubService } from './gossipsub.js'
export type { NetworkStats } from './stats.js'
export { DEFAULT_RPC_LIMITS } from './rpc-limits.js'
export type { RpcLimits } from './rpc-limits.js'
export {
  DEFAULT_MAX_IN_FLIGHT, MAX_FRAME_BYTES, OPEN_STREAM_TIMEOUT_MS, RPC_PROTOCOL, membersTopic
} from './constants.js'
export { FramingError } from './framing.js'
export { BOOTSTRAP_TIMEOUT_MS, BootstrapError, fetchBootstrap, parseBootstrap } from './bootstrap.js'
export type { Bootstrap, BootstrapSettings, FetchBootstrapOptions } from './bootstrap.js'
export { AddressBook, browserDialable, daemonDialable, withAddressBook } from './address-book.js'
export type { AddressTarget } from './address-book.js'
