/**
 * A membership table's digest, in TABLE_DIGEST_BUCKETS buckets: each member id falls in one
 * bucket (a hash of the id), and a bucket's digest is the XOR of the first
 * BUCKET_DIGEST_BYTES of SHA-256(encodeRecord(record)) over its records. Two peers holding
 * the same records have the same digest whatever order the records arrived in; a peer keeps
 * its digest current in O(1) per record change (XOR the old record's part out, the new
 * one's in). Gossip rounds (peer's cluster/membership.ts) send the digest; a round between
 * peers that agree costs the digest (512 bytes). When they differ, the answer lists the
 * record digests of the buckets that differ (BUCKET_DIGEST_BYTES each, about S/64 of them)
 * and the asker fetches only the records whose digests it does not hold itself: a change
 * moves the changed records, not the S/64 of their buckets (`members-digest`, which older
 * peers answer, moves whole buckets).
 *
 * Not a security device: records still carry their authors' signatures and are checked one
 * by one; a digest that collides only delays a sync until the next change.
 */
import { sha256 } from '#sha256'
import { encodeRecord } from './codec-record.js'
import type { MemberRecord, PeerId } from './types.js'

/** Buckets of a table digest (a wire constant: members-digest carries all of them). */
export const TABLE_DIGEST_BUCKETS = 64
/** Bytes of one bucket's digest. */
export const BUCKET_DIGEST_BYTES = 8
/** Bytes of a whole table digest. */
export const TABLE_DIGEST_BYTES = TABLE_DIGEST_BUCKETS * BUCKET_DIGEST_BYTES

/** The digest of an empty table. */
export function emptyTableDigest (): Uint8Array {
  return new Uint8Array(TABLE_DIGEST_BYTES)
}

/** The bucket of member `id`: FNV-1a (32 bits) of its UTF-16 code units, mod the bucket count. */
export function digestBucket (id: PeerId): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % TABLE_DIGEST_BUCKETS
}

/** One record's part of its bucket's digest. */
export function recordDigest (record: MemberRecord): Uint8Array {
  // Records are immutable and shared between holders (member-intern.ts): hashed once per
  // object, not once per table that holds it. Callers must not change the returned bytes.
  let hash = recordDigests.get(record)
  if (hash === undefined) {
    hash = sha256(encodeRecord(record)).slice(0, BUCKET_DIGEST_BYTES)
    recordDigests.set(record, hash)
    digestKeys.set(hash, keyOf(hash))
  }
  return hash
}

const recordDigests = new WeakMap<MemberRecord, Uint8Array>()

/**
 * `part` (a recordDigest) as a map key: a table indexes its records by digest to answer
 * `members-fetch`. Four UTF-16 code units of two bytes each; nothing is ever decoded back.
 * Made once per record object with its part (recordDigest): every table holding a record
 * shares its key (a simulated thousand-peer cluster holds a million such entries).
 */
export function recordDigestKey (part: Uint8Array): string {
  return digestKeys.get(part) ?? keyOf(part)
}

function keyOf (part: Uint8Array): string {
  // BUCKET_DIGEST_BYTES (8) as four units in one call: one flat string (a concatenation
  // would be a rope, flattened when hashed).
  const unit = (i: number): number => ((part[i] ?? 0) << 8) | (part[i + 1] ?? 0)
  return String.fromCharCode(unit(0), unit(2), unit(4), unit(6))
}

/** The key of each part recordDigest made (parts received from the wire are keyed afresh, not kept). */
const digestKeys = new WeakMap<Uint8Array, string>()

/** XOR `part` (a recordDigest) into bucket `bucket` of `digest`, in place. */
export function xorDigest (digest: Uint8Array, bucket: number, part: Uint8Array): void {
  const at = bucket * BUCKET_DIGEST_BYTES
  for (let i = 0; i < BUCKET_DIGEST_BYTES; i++) digest[at + i] = (digest[at + i] as number) ^ (part[i] as number)
}

/** The buckets in which two table digests differ, ascending. */
export function differingBuckets (a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = []
  for (let bucket = 0; bucket < TABLE_DIGEST_BUCKETS; bucket++) {
    const at = bucket * BUCKET_DIGEST_BYTES
    for (let i = at; i < at + BUCKET_DIGEST_BYTES; i++) {
      if (a[i] !== b[i]) {
        out.push(bucket)
        break
      }
    }
  }
  return out
}

/** The digest of a whole table (for tests and for peers that rebuild it). */
export function tableDigest (records: Iterable<MemberRecord>): Uint8Array {
  const digest = emptyTableDigest()
  for (const record of records) xorDigest(digest, digestBucket(record.id), recordDigest(record))
  return digest
}
