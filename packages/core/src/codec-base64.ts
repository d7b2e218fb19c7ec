/**
 * Base64url without padding (RFC 4648 §5), strict: only the url alphabet, no padding, no
 * whitespace, and the unused low bits of the last character must be zero, so every byte
 * string has exactly one text form. Hand-written because core carries no Buffer/btoa
 * dependency and must behave identically in browsers and Node.
 */
import { CodecError } from './errors.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Character code → 6-bit value, or -1 for characters outside the alphabet. */
const DECODE_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

export function toBase64Url (bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!
  }
  return out
}

/** Decodes strict unpadded base64url; anything else is a CodecError on `field`. */
export function fromBase64Url (s: string, field: string): Uint8Array {
  // A lone trailing character carries only 6 bits: not a whole byte.
  if (s.length % 4 === 1) throw new CodecError('invalid base64url length', field)
  const out = new Uint8Array(Math.floor(s.length * 3 / 4))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    const v = code < 128 ? DECODE_TABLE[code]! : -1
    if (v < 0) throw new CodecError(`invalid base64url character at ${i}`, field)
    acc = ((acc << 6) | v) & 0xffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >>> bits) & 0xff
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new CodecError('non-canonical base64url (trailing bits set)', field)
  return out
}
