/**
 * @ringstore/core — the Dynamo paper in pure, synchronous, deterministic code: the ring
 * (consistent hashing with Q equal partitions), dotted version vectors, Merkle trees,
 * membership records and the wire codec. No I/O, no timers, no randomness.
 *
 * @example
 * import { buildRing, preferenceList, partitionOf } from '@ringstore/core'
 * const ring = buildRing(records, 1024)
 * const replicas = preferenceList(ring, partitionOf('cart:42', ring.q), 3)
 */
export * from './types.js'
export * from './bytes.js'
export * from './messages.js'
export * from './hash.js'
export * from './ring.js'
export * from './versions.js'
export * from './versions-client.js'
export * from './versions-split.js'
export * from './key-rights.js'
export * from './merkle.js'
export * from './membership.js'
export * from './membership-digest.js'
export * from './member-intern.js'
export * from './admission.js'
export * from './removal.js'
export { encodeRemoval, decodeRemoval, encodeSignedRemoval, decodeSignedRemoval, MAX_REMOVAL_BYTES, MAX_SIGNED_REMOVAL_BYTES } from './codec-removal.js'
export { encodeAdmission, decodeAdmission, encodeSignedAdmission, decodeSignedAdmission, MAX_ADMISSION_BYTES, MAX_SIGNED_ADMISSION_BYTES } from './codec-admission.js'
export * from './codec.js'
export { encodeCheckpoint, decodeCheckpoint, checkpointHash, CHECKPOINT_HASH_BYTES, MAX_CHECKPOINT_BYTES } from './codec-checkpoint.js'
export { proposedCut, reproduce, checkpointRef, agreedCheckpoint } from './ring-checkpoint-agree.js'
export { utf8ByteLength } from './codec-text.js'
export * from './errors.js'
