/**
 * Text helpers shared by the codec and by key validation: UTF-8 byte length without
 * allocating, and the well-formedness test that guarantees a string survives a trip
 * through UTF-8 unchanged.
 */

/** Matches an unpaired UTF-16 surrogate (with the `u` flag, a valid pair is one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * True when `s` is well-formed UTF-16 (no unpaired surrogate). A lone surrogate encodes to
 * U+FFFD in UTF-8, so such a string would not come back equal after encode/decode.
 * (String.prototype.isWellFormed is ES2024; the regexp works in every engine we target.)
 */
export function isWellFormedText (s: string): boolean {
  return !LONE_SURROGATE.test(s)
}

/** UTF-8 byte length of a well-formed string, counted without encoding it. */
export function utf8ByteLength (s: string): number {
  let bytes = 0
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair is one astral code point: four bytes in UTF-8.
        bytes += 4
        i++
      } else {
        bytes += 3
      }
    } else bytes += 3
  }
  return bytes
}

/** A short description of a value's type for error messages (never the value itself). */
export function typeName (x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return `array(${x.length})`
  if (x instanceof Uint8Array) return `bytes(${x.byteLength})`
  if (x instanceof Map) return 'map'
  return typeof x
}
