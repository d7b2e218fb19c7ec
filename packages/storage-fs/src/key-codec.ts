/**
 * Storage keys are JavaScript strings that must sort as JavaScript compares them (UTF-16
 * code units, the Storage contract), while LMDB sorts raw bytes. UTF-8 sorts by code
 * point, which disagrees with UTF-16 order for characters above U+FFFF versus
 * U+E000..U+FFFF. So each UTF-16 code unit is written on its own, UTF-8 style (1-3 bytes,
 * the CESU-8 scheme): byte order then equals code-unit order, ASCII keys stay one byte per
 * character, and lone surrogates (legal in JS strings) round-trip.
 *
 * Every key is prefixed with one byte because LMDB refuses zero-length keys and the
 * contract allows the empty string.
 */
import { InvalidStorageOpError } from '@ringstore/peer'
import { FROM_CHAR_CODE_CHUNK, MAX_KEY_BYTES } from './constants.js'

const PREFIX = 0x01

/** Encodes `key` for LMDB; throws InvalidStorageOpError when it is too long. */
export function encodeKey (key: string): Uint8Array {
  if (typeof key !== 'string') throw new InvalidStorageOpError(`key must be a string, got ${typeof key}`)
  // Worst case three bytes per code unit; size the buffer once.
  const out = new Uint8Array(1 + key.length * 3)
  out[0] = PREFIX
  let n = 1
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c < 0x80) {
      out[n++] = c
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6)
      out[n++] = 0x80 | (c & 0x3f)
    } else {
      out[n++] = 0xe0 | (c >> 12)
      out[n++] = 0x80 | ((c >> 6) & 0x3f)
      out[n++] = 0x80 | (c & 0x3f)
    }
  }
  if (n > MAX_KEY_BYTES) {
    throw new InvalidStorageOpError(`key encodes to ${n} bytes, more than LMDB's limit of ${MAX_KEY_BYTES}`)
  }
  return out.subarray(0, n)
}

/** Inverse of encodeKey. Only ever sees bytes that encodeKey produced. */
export function decodeKey (bytes: Uint8Array): string {
  let s = ''
  const codes: number[] = []
  for (let i = 1; i < bytes.length;) {
    const b = bytes[i] as number
    if (b < 0x80) {
      codes.push(b)
      i += 1
    } else if (b < 0xe0) {
      codes.push(((b & 0x1f) << 6) | ((bytes[i + 1] as number) & 0x3f))
      i += 2
    } else {
      codes.push(((b & 0x0f) << 12) | (((bytes[i + 1] as number) & 0x3f) << 6) | ((bytes[i + 2] as number) & 0x3f))
      i += 3
    }
    // fromCharCode has an argument-count limit; flush in chunks.
    if (codes.length >= FROM_CHAR_CODE_CHUNK) {
      s += String.fromCharCode(...codes)
      codes.length = 0
    }
  }
  return s + String.fromCharCode(...codes)
}
