/**
 * Test helpers for the engine and its adapters: the shared Storage conformance suite, an
 * in-process loopback network, a manual clock and a stand-in signer. Imports vitest, so
 * only test code may import `@ringstore/peer/testing`.
 *
 * @example
 * import { runStorageConformance } from '@ringstore/peer/testing'
 * runStorageConformance('MyStorage', async () => openMyStorage())
 */
export { runStorageConformance } from './storage-conformance.js'
export type { StorageConformanceOptions } from './storage-conformance.js'
export { LoopbackHub, LoopbackNetwork, TestSigner } from './loopback-network.js'
export { ManualClock, settle } from './manual-clock.js'
