/**
 * @ringstore/testkit — what the tests of the engine and of its adapters share: the Storage
 * conformance suite every adapter runs, an in-memory Storage, an in-process loopback
 * network, a manual clock and a stand-in signer. It imports vitest and offers no security
 * or durability, so only test code may depend on it; production code never does.
 *
 * @example
 * import { runStorageConformance } from '@ringstore/testkit'
 * runStorageConformance('MyStorage', async () => openMyStorage())
 */
export { runStorageConformance } from './storage-conformance.js'
export type { StorageConformanceOptions } from './storage-conformance.js'
export { MemoryStorage, MemoryDisk } from './memory-storage.js'
export { LoopbackHub, LoopbackNetwork, TestSigner } from './loopback-network.js'
export type { LoopbackOptions } from './loopback-network.js'
export { ManualClock, settle } from './manual-clock.js'
