/**
 * Key hashing and partitioning (paper §4.2, strategy 3 of §6.2). SHA-256 is the same
 * function everywhere (pure-JS @noble/hashes in browsers and the simulator, Node's native
 * one in the daemon: `#sha256`), so a key hashes to the same partition in a browser tab,
 * in Node and in the simulator.
 *
 * Partition `p` of `q` (q a power of two) holds the keys whose hash starts with the
 * `log2(q)` bits of `p`. Peers store a key under `${hashPrefixHex(key)}/${key}`, so every
 * partition, for every power-of-two q, is one contiguous range of storage keys
 * (`partitionRange`), which anti-entropy and hand-off scan.
 */
import { sha256 } from '#sha256'
import type { Key } from './types.js'

/** Bad argument to a hashing or ring function (a q that is not a power of two, a partition out of range, …). */
export class RingInputError extends Error {
  static override name = 'RingInputError'
  override name = 'RingInputError'
}

/** Largest partition count: the partition is taken from the first 4 bytes (32 bits) of the hash. */
export const MAX_PARTITION_BITS = 32

/** Bytes of the hash that pick the partition and form the storage prefix. */
const PREFIX_BYTES = 4

/** 2^32 as a number: partition arithmetic uses division, never `>>> 32` (which is a no-op in JS). */
const TWO_POW_32 = 2 ** 32

/** Sorts after every 8-hex-digit prefix ('ffffffff/…' < 'g'): upper bound of the last partition. */
const AFTER_ALL_PREFIXES = 'g'

// Stateless (encode() keeps no state between calls), so one shared instance is safe.
const encoder = new TextEncoder()

/** UTF-8 bytes of a string. */
export function utf8 (s: string): Uint8Array {
  return encoder.encode(s)
}

/** SHA-256 of the key's UTF-8 bytes (32 bytes). */
export function keyHash (key: Key): Uint8Array {
  return sha256(utf8(key))
}

/** The first 4 bytes of a hash as a big-endian unsigned 32-bit integer. */
export function hashPrefixUint32 (hash: Uint8Array): number {
  if (hash.length < PREFIX_BYTES) throw new RingInputError(`hash has ${hash.length} bytes, need at least ${PREFIX_BYTES}`)
  // Multiplication instead of `<< 24`: the shift would make the top byte negative.
  return (hash[0] ?? 0) * 0x1000000 + (((hash[1] ?? 0) << 16) | ((hash[2] ?? 0) << 8) | (hash[3] ?? 0))
}

/** 8 lowercase hex digits of an unsigned 32-bit integer. */
function hex8 (u32: number): string {
  return u32.toString(16).padStart(8, '0')
}

/** The storage prefix of a key: 8 lowercase hex digits = the first 4 bytes of `keyHash(key)`. */
export function hashPrefixHex (key: Key): string {
  return hex8(hashPrefixUint32(keyHash(key)))
}

/** log2(q), or a RingInputError if q is not a power of two in [1, 2^32]. */
export function partitionBits (q: number): number {
  if (!Number.isSafeInteger(q) || q < 1 || q > TWO_POW_32) throw new RingInputError(`partition count ${q} is not a power of two in [1, 2^32]`)
  const bits = Math.round(Math.log2(q))
  if (2 ** bits !== q) throw new RingInputError(`partition count ${q} is not a power of two`)
  return bits
}

/** Width of one partition in the 32-bit prefix space. */
function partitionWidth (q: number): number {
  return 2 ** (MAX_PARTITION_BITS - partitionBits(q))
}

/** The partition of a hash: the top log2(q) bits of its first 4 bytes. */
export function partitionOfHash (hash: Uint8Array, q: number): number {
  return Math.floor(hashPrefixUint32(hash) / partitionWidth(q))
}

/** The partition (0 ≤ p < q) that holds a key. */
export function partitionOf (key: Key, q: number): number {
  return partitionOfHash(keyHash(key), q)
}

/** RingInputError unless `partition` is an integer in [0, q). */
export function checkPartition (partition: number, q: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= q) {
    throw new RingInputError(`partition ${partition} is outside [0, ${q})`)
  }
}

/**
 * Bounds of a partition in storage order: the storage key `${hashPrefixHex(k)}/${k}` lies in
 * `[gte, lt)` exactly when `partitionOf(k, q) === partition`.
 */
export function partitionRange (partition: number, q: number): { gte: string, lt: string } {
  const width = partitionWidth(q)
  checkPartition(partition, q)
  const gte = hex8(partition * width)
  const lt = partition === q - 1 ? AFTER_ALL_PREFIXES : hex8((partition + 1) * width)
  return { gte, lt }
}
