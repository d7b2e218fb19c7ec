/**
 * A checksummed envelope for anything a storage adapter writes, so that a torn or
 * bit-rotted record is detected on read instead of being decoded into garbage.
 *
 *   sealed = [version: 1 byte = 1][crc32(payload): 4 bytes big-endian][payload]
 *
 * CRC-32 is the IEEE 802.3 / zlib / PNG polynomial (reflected 0xEDB88320, init and final
 * xor 0xFFFFFFFF). It detects every single-bit error and every burst up to 32 bits. The
 * version byte keeps the format open to change, and makes an all-zero block (a common
 * shape of storage corruption) fail even when it is exactly header-sized.
 */
import { CorruptRecordError } from './errors.js'

const SEAL_VERSION = 1
const HEADER_BYTES = 5

/** The 256-entry lookup table of the reflected polynomial; computed once, never mutated. */
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** Standard CRC-32 of `bytes` as an unsigned 32-bit integer (crc32("123456789") = 0xCBF43926). */
export function crc32 (bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** Wraps `payload` in the checksummed envelope (a new array; `payload` is not kept). */
export function sealRecord (payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length)
  out[0] = SEAL_VERSION
  new DataView(out.buffer).setUint32(1, crc32(payload))
  out.set(payload, HEADER_BYTES)
  return out
}

/**
 * The payload of a sealed record (a view into `bytes`, not a copy). Throws
 * CorruptRecordError when the record is truncated, of an unknown version, or fails its
 * checksum.
 */
export function openRecord (bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new CorruptRecordError('sealed record must be bytes')
  if (bytes.length < HEADER_BYTES) throw new CorruptRecordError(`sealed record truncated: ${bytes.length} bytes`)
  if (bytes[0] !== SEAL_VERSION) throw new CorruptRecordError(`unknown sealed record version ${bytes[0]}`)
  const expected = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1)
  const payload = bytes.subarray(HEADER_BYTES)
  const actual = crc32(payload)
  if (actual !== expected) throw new CorruptRecordError(`sealed record checksum mismatch (stored ${hex(expected)}, computed ${hex(actual)})`)
  return payload
}

function hex (n: number): string {
  return n.toString(16).padStart(8, '0')
}
