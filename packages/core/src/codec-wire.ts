/**
 * The CBOR layer of the codec and the field readers every message decoder is built from.
 *
 * Every message travels as a CBOR array (never a map: no key order to agree on, no
 * `__proto__` keys, fewer bytes). Decoding is strict in two steps: a canonical tokenizer,
 * then a field-by-field check that builds the typed message. The tokenizer is cborg's in
 * strict mode (shortest integers and lengths, no indefinite lengths, no
 * undefined/NaN/Infinity/bigint, no tags, no simple values, nothing after the item) plus
 * three checks of ours (see CanonicalTokenizer): text is strict UTF-8, a float must be the
 * bytes cborg's encoder writes for its value (so no float-encoded integer, no -0, no
 * float64 where a float16 would do), and maps are refused outright. Every token left is
 * then the one encoding of its value, so the input equals what we would have encoded
 * (re-encoding to compare, as this module once did, cost as much as the decode itself);
 * codec-fuzz.test.ts checks exactly that on every input that decodes.
 * Encoding runs the same field checks, so encode never emits what decode would refuse.
 */
import { Tokenizer, Type, decode, encode } from 'cborg'
import type { DecodeOptions, Token } from 'cborg'
import { equalBytes } from './bytes.js'
import { isWellFormedText, typeName, utf8ByteLength } from './codec-text.js'
import { CodecError, validateKey, validateValue } from './errors.js'
import type { Key } from './types.js'
import { LIMITS } from './types.js'

const DECODE_OPTIONS: DecodeOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  // Maps never appear in our messages: CanonicalTokenizer refuses them; decoding them as
  // Map would in any case keep untrusted keys away from plain objects.
  useMaps: true,
  // Text tokens keep their raw bytes so that CanonicalTokenizer can decode them itself.
  retainStringBytes: true,
  tags: []
}

/** Fails on invalid UTF-8, and keeps a leading U+FEFF (a default TextDecoder drops it). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * cborg's own tokenizer in strict mode, plus what it leaves open for a canonical decode:
 * - text strings are decoded strictly: cborg uses a lenient TextDecoder that turns invalid
 *   UTF-8 into U+FFFD and silently strips a leading byte-order mark, so a key starting
 *   with U+FEFF would not survive the round trip;
 * - a float must be encoded exactly as cborg's encoder writes its value: cborg checks
 *   integer and length minimality but accepts any float width, -0, and integral floats
 *   (which it encodes as integers);
 * - maps never appear in our messages (their key order would be one more thing to check).
 * Floats are rare (only fractional timestamps, from simulated clocks), so re-encoding the
 * one float to compare costs nothing on the common path.
 */
class CanonicalTokenizer {
  readonly #inner: InstanceType<typeof Tokenizer>
  readonly #data: Uint8Array
  constructor (data: Uint8Array) {
    this.#inner = new Tokenizer(data, DECODE_OPTIONS)
    this.#data = data
  }

  done (): boolean { return this.#inner.done() }
  pos (): number { return this.#inner.pos() }
  next (): Token {
    const start = this.#inner.pos()
    const token = this.#inner.next()
    const type = token.type
    if (Type.equals(type, Type.string)) {
      if (token.byteValue !== undefined) token.value = STRICT_UTF8.decode(token.byteValue)
    } else if (Type.equals(type, Type.float)) {
      const encoded = this.#data.subarray(start, start + (token.encodedLength ?? 0))
      if (!equalBytes(encode(token.value), encoded)) throw new Error(`float ${String(token.value)} not in canonical encoding`)
    } else if (Type.equals(type, Type.map)) {
      throw new Error('maps are not used in messages')
    }
    return token
  }
}

/** A field path for error messages, e.g. `request.clock.entries[2]`. */
export type Path = string

/** Turns a wire value into a typed message, checking every field; throws CodecError. */
export type FromWire<T> = (wire: unknown, path: Path) => T

/** Turns a typed message into its wire value (arrays, numbers, strings, bytes, null). */
export type ToWire<T> = (value: T) => unknown

/**
 * Encodes `value` after checking it with the same rules as the decoder. Anything but a
 * CodecError raised on the way (a missing field read from a malformed object) becomes one.
 */
export function encodeChecked<T> (value: T, root: Path, maxBytes: number, toWire: ToWire<T>, fromWire: FromWire<T>): Uint8Array {
  return guard(root, () => {
    const wire = toWire(value)
    fromWire(wire, root)
    const bytes = encodeWire(wire)
    if (bytes.byteLength > maxBytes) {
      throw new CodecError(`encoded size ${bytes.byteLength} bytes exceeds the limit of ${maxBytes} bytes`, root)
    }
    return bytes
  })
}

/**
 * cborg's encoding of a wire value (same bytes: codec-fuzz.test.ts checks), written by
 * hand straight into an array of the exact size. cborg's `encode` builds its output in
 * chunks and concatenates them, and turns every text of 24+ characters (an actor id) into
 * a Buffer from Node's pool: the pool churn (a fresh 8 KiB ArrayBuffer every few messages)
 * cost more than the encoding itself on the write path. Floats, rare here (simulated
 * timestamps), are still written by cborg, which picks the shortest exact width.
 */
export function encodeWire (wire: unknown): Uint8Array {
  const size = wireSize(wire)
  if (size < 0) return encode(wire)
  const out = new Uint8Array(size)
  const end = writeWire(out, 0, wire)
  if (end !== size) throw new Error(`encoded ${end} bytes, expected ${size}`)
  return out
}

/** Stateless (encodeInto keeps nothing between calls), so one shared instance is safe. */
const UTF8_ENCODER = new TextEncoder()

/** Writes the CBOR head of major type `major` with argument `n` (0 ≤ n ≤ 2^53 - 1) at `at`; returns the end. */
function writeHead (out: Uint8Array, at: number, major: number, n: number): number {
  const m = major << 5
  if (n < 24) {
    out[at] = m | n
    return at + 1
  }
  if (n < 0x100) {
    out[at] = m | 24
    out[at + 1] = n
    return at + 2
  }
  if (n < 0x10000) {
    out[at] = m | 25
    out[at + 1] = n >>> 8
    out[at + 2] = n & 0xff
    return at + 3
  }
  if (n < 0x100000000) {
    out[at] = m | 26
    writeUint32(out, at + 1, n)
    return at + 5
  }
  out[at] = m | 27
  writeUint32(out, at + 1, Math.floor(n / 0x100000000))
  writeUint32(out, at + 5, n >>> 0)
  return at + 9
}

function writeUint32 (out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24
  out[at + 1] = (n >>> 16) & 0xff
  out[at + 2] = (n >>> 8) & 0xff
  out[at + 3] = n & 0xff
}

/** Writes `x` (a value `wireSize` accepted) at `at`; returns the end. */
function writeWire (out: Uint8Array, at: number, x: unknown): number {
  if (x === null) return writeByte(out, at, 0xf6)
  if (typeof x === 'boolean') return writeByte(out, at, x ? 0xf5 : 0xf4)
  if (typeof x === 'number') {
    // -0 is a safe integer and `-0 >= 0`: written as 0, as cborg does.
    if (Number.isSafeInteger(x)) return x >= 0 ? writeHead(out, at, 0, x) : writeHead(out, at, 1, -1 - x)
    const float = encode(x)
    out.set(float, at)
    return at + float.length
  }
  if (typeof x === 'string') {
    const n = utf8ByteLength(x)
    const start = writeHead(out, at, 3, n)
    UTF8_ENCODER.encodeInto(x, out.subarray(start, start + n))
    return start + n
  }
  if (x instanceof Uint8Array) {
    const start = writeHead(out, at, 2, x.length)
    out.set(x, start)
    return start + x.length
  }
  const items = x as readonly unknown[]
  let end = writeHead(out, at, 4, items.length)
  for (const item of items) end = writeWire(out, end, item)
  return end
}

function writeByte (out: Uint8Array, at: number, byte: number): number {
  out[at] = byte
  return at + 1
}

/** Bytes of a CBOR head whose argument is `n`: the shortest, as writeHead (and cborg) write it. */
function headBytes (n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9
}

/** Size of cborg's encoding of `x`, or -1 for a value outside the wire shapes (arrays, text, bytes, numbers, null, booleans). */
function wireSize (x: unknown): number {
  if (x === null || typeof x === 'boolean') return 1
  if (typeof x === 'number') {
    // cborg writes safe integers (-0 included, as 0) as integers, anything else as the
    // shortest exact float; floats are rare here (simulated timestamps), so ask cborg.
    return Number.isSafeInteger(x) ? headBytes(x < 0 ? -1 - x : x) : encode(x).length
  }
  if (typeof x === 'string') {
    const n = utf8ByteLength(x)
    return headBytes(n) + n
  }
  if (x instanceof Uint8Array) return headBytes(x.length) + x.length
  if (!Array.isArray(x)) return -1
  let size = headBytes(x.length)
  for (const item of x) {
    const itemSize = wireSize(item)
    if (itemSize < 0) return -1
    size += itemSize
  }
  return size
}

/** Decodes `bytes` strictly (see the module comment); throws only CodecError. */
export function decodeChecked<T> (bytes: unknown, root: Path, maxBytes: number, fromWire: FromWire<T>): T {
  return guard(root, () => {
    if (!(bytes instanceof Uint8Array)) throw new CodecError(`expected bytes, got ${typeName(bytes)}`, root)
    // Refuse before parsing: the parser must never see more than the bound.
    if (bytes.byteLength > maxBytes) {
      throw new CodecError(`input of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes} bytes`, root)
    }
    const wire = parseCbor(bytes, root)
    return fromWire(wire, root)
  })
}

function parseCbor (bytes: Uint8Array, root: Path): unknown {
  // A plain Uint8Array view: byte strings are then copied out (a Node Buffer would alias).
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    return decode(data, { ...DECODE_OPTIONS, tokenizer: new CanonicalTokenizer(data) })
  } catch (err) {
    // cborg throws plain Errors, and a RangeError on absurd nesting depth.
    throw new CodecError(`invalid CBOR: ${messageOf(err)}`, root, { cause: err })
  }
}

/** Runs `fn`, turning any error that is not already a CodecError into one. */
export function guard<T> (root: Path, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof CodecError) throw err
    throw new CodecError(`malformed: ${messageOf(err)}`, root, { cause: err })
  }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

// ---- field readers: each checks one wire value and returns it typed ----

/** An array with `min`..`max` elements. */
export function readArray (x: unknown, path: Path, min: number, max: number): readonly unknown[] {
  if (!Array.isArray(x)) throw new CodecError(`expected an array, got ${typeName(x)}`, path)
  if (x.length < min || x.length > max) {
    throw new CodecError(min === max
      ? `expected ${min} elements, got ${x.length}`
      : `expected ${min}..${max} elements, got ${x.length}`, path)
  }
  return x
}

/** Maps `read` over an array of `min`..`max` elements, naming each element's path. */
export function readList<T> (x: unknown, path: Path, min: number, max: number, read: FromWire<T>): T[] {
  const arr = readArray(x, path, min, max)
  const out: T[] = new Array(arr.length)
  for (let i = 0; i < arr.length; i++) out[i] = read(arr[i], `${path}[${i}]`)
  return out
}

/** A safe integer in `min`..`max`. */
export function readInt (x: unknown, path: Path, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw new CodecError(`expected an integer, got ${typeName(x)} ${typeof x === 'number' ? x : ''}`.trimEnd(), path)
  if (x < min || x > max) throw new CodecError(`${x} is out of range ${min}..${max}`, path)
  return x
}

/** A finite number in `min`..`max` (integers or floats). */
export function readNumber (x: unknown, path: Path, min: number, max: number): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new CodecError(`expected a finite number, got ${typeName(x)}`, path)
  if (x < min || x > max) throw new CodecError(`${x} is out of range ${min}..${max}`, path)
  return x
}

/** A wall-clock time in ms: finite, non-negative, at most 2^53 - 1 (fractions allowed: simulated clocks). */
export function readTime (x: unknown, path: Path): number {
  return readNumber(x, path, 0, Number.MAX_SAFE_INTEGER)
}

/** A well-formed string of `minBytes`..`maxBytes` UTF-8 bytes. */
export function readText (x: unknown, path: Path, minBytes: number, maxBytes: number): string {
  if (typeof x !== 'string') throw new CodecError(`expected a string, got ${typeName(x)}`, path)
  // Every UTF-16 unit takes at least one UTF-8 byte: refuse giant strings before scanning them.
  if (x.length > maxBytes) throw new CodecError(`string exceeds ${maxBytes} bytes`, path)
  if (!isWellFormedText(x)) throw new CodecError('string contains an unpaired surrogate', path)
  const bytes = utf8ByteLength(x)
  if (bytes < minBytes || bytes > maxBytes) throw new CodecError(`string of ${bytes} bytes is outside ${minBytes}..${maxBytes} bytes`, path)
  return x
}

/** A byte string of `min`..`max` bytes. */
export function readBytes (x: unknown, path: Path, min: number, max: number): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new CodecError(`expected bytes, got ${typeName(x)}`, path)
  if (x.byteLength < min || x.byteLength > max) throw new CodecError(`${x.byteLength} bytes is outside ${min}..${max} bytes`, path)
  return x
}

/** A user key (see `validateKey`). */
export function readKey (x: unknown, path: Path): Key {
  try {
    return validateKey(x)
  } catch (err) {
    throw new CodecError(messageOf(err), path, { cause: err })
  }
}

/** A user value (see `validateValue`): bytes of at most `LIMITS.valueBytes`. */
export function readValue (x: unknown, path: Path): Uint8Array {
  try {
    return validateValue(x)
  } catch (err) {
    throw new CodecError(messageOf(err), path, { cause: err })
  }
}

/** A peer id: a non-empty string of at most `LIMITS.idBytes` bytes. */
export function readPeerId (x: unknown, path: Path): string {
  return readText(x, path, 1, LIMITS.idBytes)
}

/** `null`, or whatever `read` accepts. */
export function readNullable<T> (x: unknown, path: Path, read: FromWire<T>): T | null {
  return x === null ? null : read(x, path)
}

/**
 * Index of `name` in a tag table, for encoding. An unknown name is passed through as is so
 * that the following field check (`nameOf`) reports it with the right field path.
 */
export function tagOf (names: readonly string[], name: unknown): unknown {
  const tag = typeof name === 'string' ? names.indexOf(name) : -1
  return tag < 0 ? name : tag
}

/** The name of a wire tag in a tag table, for decoding; unknown tags are a CodecError. */
export function nameOf<N extends string> (names: readonly N[], tag: unknown, path: Path): N {
  if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag >= names.length) {
    const shown = typeof tag === 'number' ? String(tag) : typeof tag === 'string' ? JSON.stringify(tag.slice(0, 32)) : typeName(tag)
    throw new CodecError(`unknown type tag ${shown}`, path)
  }
  return names[tag] as N
}
