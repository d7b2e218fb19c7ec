/**
 * The wire codec: every message the peers exchange, the replica storage format of a
 * clock, the opaque context string of the HTTP API, canonical member-record bytes for
 * signatures, and a checksummed envelope for storage records. CBOR (cborg) underneath.
 *
 * Guarantees: each value has exactly one encoding (equal clocks → equal bytes and
 * digests); every field is checked and bounded on decode; decoders throw only
 * `CodecError` (with `field` naming the offending path); encoders check with the same
 * rules, so they never emit bytes a decoder would refuse. Layouts are documented in the
 * codec-*.ts modules.
 */
import { CLOCK_DIGEST_BYTES, MAX_CLOCK_BYTES, MAX_CONTEXT_BYTES, MAX_CONTEXT_CHARS } from './codec-clock.js'
import {
  MAX_ERROR_MESSAGE_BYTES, MAX_HASH_BYTES, MAX_PARTITIONS, MAX_REPLICAS, MAX_TREE_INDEX, MAX_TREE_ITEMS, MAX_TREE_LEVEL
} from './codec-messages.js'
import { MAX_ANNOUNCEMENT_BYTES, MAX_RECORD_BYTES, MAX_SIGNATURE_BYTES } from './codec-record.js'
import { LIMITS } from './types.js'

export {
  encodeClock, decodeClock, clockDigest, encodedClockDigest, encodeContext, decodeContext, contextToString, contextFromString
} from './codec-clock.js'
export { encodeRecord, decodeRecord, encodeAnnouncement, decodeAnnouncement } from './codec-record.js'
export {
  encodeFrame, decodeFrame, encodeRequest, decodeRequest, encodeResponse, decodeResponse, REQUEST_TYPES
} from './codec-messages.js'
export { crc32, sealRecord, openRecord } from './codec-seal.js'

/** The codec's own bounds, beyond `LIMITS` (each explained where it is defined). */
export const CODEC_LIMITS = {
  /** Any frame, request or response (= LIMITS.frameBytes). */
  frameBytes: LIMITS.frameBytes,
  /** An encoded clock: above frameBytes, since a stored replica may hold 64 full-size siblings. */
  clockBytes: MAX_CLOCK_BYTES,
  contextBytes: MAX_CONTEXT_BYTES,
  contextChars: MAX_CONTEXT_CHARS,
  recordBytes: MAX_RECORD_BYTES,
  announcementBytes: MAX_ANNOUNCEMENT_BYTES,
  signatureBytes: MAX_SIGNATURE_BYTES,
  clockDigestBytes: CLOCK_DIGEST_BYTES,
  /** partition < partitions; level ≤ treeLevel; every index ≤ treeIndex. */
  partitions: MAX_PARTITIONS,
  treeLevel: MAX_TREE_LEVEL,
  treeIndex: MAX_TREE_INDEX,
  /** Hashes, indices, partitions (ae-roots), buckets or bucket entries per anti-entropy message. */
  treeItems: MAX_TREE_ITEMS,
  hashBytes: MAX_HASH_BYTES,
  /** Bound of n, w, acks and required in coordinate-put / put-result / quorum-failed. */
  replicas: MAX_REPLICAS,
  errorMessageBytes: MAX_ERROR_MESSAGE_BYTES
} as const
