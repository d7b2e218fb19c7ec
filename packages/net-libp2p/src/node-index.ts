/**
 * @ringstore/net-libp2p/node — everything of the shared entry point plus the Node-only
 * parts: the daemon's libp2p node builder (TCP, WebSockets, relay server) and the
 * persistent key file. The polyfill import must stay first (libp2p 3 on Node 20).
 */
import './polyfill.js'

export * from './index.js'
export { createNodeLibp2p } from './node.js'
export type { NodeLibp2pOptions, NodeServices } from './node.js'
export { IdentityError, KEY_FILE, loadOrCreatePrivateKey } from './identity.js'
