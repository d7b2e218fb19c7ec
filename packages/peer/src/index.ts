/**
 * @ringstore/peer — the replication engine of a Dynamo-style store. One `Peer` coordinates
 * gets and puts over a sloppy quorum (N, R, W), keeps its replica and hints in the injected
 * Storage, repairs on read, hands hints off, runs Merkle anti-entropy, membership and
 * failure detection. It reaches the world only through the Network, Storage, Clock and
 * Signer it is given, so the same code runs in a browser tab, a Node daemon and the
 * simulator.
 *
 * @example
 * import { Peer } from '@ringstore/peer'
 * // The host passes its own Storage, e.g. FsStorage (@ringstore/storage-fs) or IdbStorage (@ringstore/browser).
 * const peer = new Peer({ network, storage, clock, signer, config: { seeds: ['/dns4/seed/tcp/4001/p2p/…'] } })
 * await peer.start()
 * const read = await peer.get('cart:42')                       // siblings + context
 * await peer.put('cart:42', bytes, { context: read.context })  // supersedes what was read
 * await peer.stop()
 */
export { Peer, silentLogger } from './peer.js'
export type * from './interfaces.js'
export type { PeerOptions, RingSource, GetOptions, GetResult, PutOptions, PutResult, PeerStatus, PeerMaintenance } from './api.js'
export { DEFAULT_CONFIG, ConfigError, resolveConfig } from './config.js'
export { MAX_REPLICAS } from './constants.js'
export { resolveQuorum, quorumProblem } from './quorum.js'
export type { Quorum } from './quorum.js'
export type { PeerConfig } from './config.js'
export { createMetrics, observeLatency } from './metrics.js'
export type { PeerMetrics, Operation } from './metrics.js'
export {
  QuorumNotMetError, CorruptReplicaError, PeerUnreachableError, RequestTimeoutError, RemoteError, PeerStoppedError, InvalidOptionsError,
  TooManySiblingsError, SiblingsTooLargeError, StorageClosedError, InvalidStorageOpError, InvalidRemovalError, StorageFullError,
  HintQuotaError, KeyRightsError
} from './errors.js'
export type { HintQuota } from './errors.js'
export type {
  ReplicaStore, HintStore, MembershipView, FailureDetector
} from './components.js'
export { StorageReplicaStore } from './data/replica-store.js'
export { dataKey } from './data/storage-keys.js'
export { StorageHintStore } from './data/hint-store.js'
// Membership's storage layout: the simulator pre-writes a restarting cluster's tables with it.
export { memberOp, ownRecordOp } from './cluster/member-persist.js'
export type {
  DvvSet, Key, MemberRecord, PeerId, Placement, Sibling, VersionVector
} from '@ringstore/core'
export { SystemClock } from './hosts/system-clock.js'
export { WatchLimitError } from './cluster/watch-registry.js'
export type { WatchChange, WatchListener } from './coordinator/watches.js'
