/**
 * @ringstore/browser — the ringstore peer in a browser tab: IndexedDB storage (idb-keyval,
 * one database per peer name, group-committed writes), a persistent identity per tab,
 * WebSockets to the daemons and WebRTC between tabs signalled through a daemon's relay,
 * always-writeable offline behaviour, and fault injection (offline, block a peer) at the
 * libp2p level.
 *
 * @example
 * import { createBrowserPeer } from '@ringstore/browser'
 * const tab = await createBrowserPeer({ bootstrap: ['/ip4/127.0.0.1/tcp/7071/ws/p2p/12D3Koo…'] })
 * const cart = await tab.get('cart:42')
 * await tab.put('cart:42', bytes, { context: cart.context, w: 1 })   // works offline too
 * const mine = await tab.get('cart:42', { local: true })              // this tab's copy, offline too
 * tab.onChange(() => render(tab.status()))                          // hints, peers, online
 * await tab.faults.goOffline()                                        // a real cut, for demos
 */
export { createBrowserPeer, DEFAULT_CLUSTER } from './browser-peer.js'
export { CHANGE_POLL_MS, SCAN_PAGE_SIZE } from './constants.js'
export type { BrowserPeer, BrowserPeerOptions, BrowserPeerStatus } from './browser-peer.js'
export type { WatchChange, WatchListener } from '@ringstore/peer'
export { transportOf } from './transport.js'
export type { ConnectionTransport } from './transport.js'
export { IdbStorage, IdbOpenError, databaseNameOf, DATABASE_PREFIX } from './idb-storage.js'
export type { IdbStorageStats } from './idb-storage.js'
export { loadOrCreateIdentity, BrowserIdentityError, IDENTITY_SLOT } from './identity.js'
export { FaultGater } from './fault-gater.js'
export { InjectedFaultError, InvalidPeerIdError } from './faults.js'
export type { Faults } from './faults.js'
export { PeerNameInUseError, tabName } from './tab-name.js'
export { createBrowserLibp2p, rtcConfiguration } from './browser-libp2p.js'
export type { BrowserServices, BrowserLibp2pOptions } from './browser-libp2p.js'
export { relayedWebRtcAddrs } from './relay-addrs.js'
export { browserDialable, fetchBootstrap, BootstrapError } from '@ringstore/net-libp2p'
export type { Bootstrap } from '@ringstore/net-libp2p'
export { QuorumNotMetError, KeyRightsError } from '@ringstore/peer'
export { capabilityKey, ownerKey } from '@ringstore/core'
export type { GetOptions, GetResult, PutOptions, PutResult, PeerStatus, PeerConfig } from '@ringstore/peer'
