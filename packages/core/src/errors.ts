/**
 * Typed errors of the core's input checks, each with a stable `name` (survives bundling;
 * callers and tests match on it), plus the two validators of user input: keys and values.
 * UsageError, a bad command line, is here too: both command-line tools (the daemon's and
 * the simulator's) depend on core, and it is as pure as the other input errors.
 */
import { isWellFormedText, typeName, utf8ByteLength } from './codec-text.js'
import type { Key } from './types.js'
import { LIMITS } from './types.js'

/**
 * Malformed or invalid encoded input (or a message that cannot be encoded). Every decoder
 * of the codec throws this and nothing else. `field` names the offending field path, e.g.
 * `request.clock.entries[2].counter`, when the fault is in one field.
 */
export class CodecError extends Error {
  static override name = 'CodecError'
  override name = 'CodecError'
  readonly field?: string
  constructor (message: string, field?: string, options?: ErrorOptions) {
    super(field === undefined ? message : `${field}: ${message}`, options)
    if (field !== undefined) this.field = field
  }
}

/**
 * A user key the store cannot hold: not a string, empty, longer than `LIMITS.keyBytes`
 * UTF-8 bytes, containing U+0000 (the engine uses NUL as a separator inside storage keys)
 * or an unpaired surrogate (it would not survive UTF-8 unchanged).
 */
export class InvalidKeyError extends Error {
  static override name = 'InvalidKeyError'
  override name = 'InvalidKeyError'
}

/** A value that is not a byte array (Uint8Array). */
export class InvalidValueError extends Error {
  static override name = 'InvalidValueError'
  override name = 'InvalidValueError'
}

/** A value larger than `LIMITS.valueBytes` (HTTP 413). */
export class ValueTooLargeError extends Error {
  static override name = 'ValueTooLargeError'
  override name = 'ValueTooLargeError'
  constructor (readonly size: number, readonly limit: number = LIMITS.valueBytes) {
    super(`value of ${size} bytes exceeds the limit of ${limit} bytes`)
  }
}

/** A command line a CLI refuses (unknown command or flag, a value out of range): exit code 2. */
export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'
}

/** A sealed storage record whose checksum, version or length does not match (see `openRecord`). */
export class CorruptRecordError extends Error {
  static override name = 'CorruptRecordError'
  override name = 'CorruptRecordError'
}

/** Returns `key` typed as a Key, or throws InvalidKeyError saying why it is refused. */
export function validateKey (key: unknown): Key {
  if (typeof key !== 'string') throw new InvalidKeyError(`key must be a string, got ${typeName(key)}`)
  if (key.length === 0) throw new InvalidKeyError('key must not be empty')
  // Cheap bound first: every UTF-16 code unit takes at least one UTF-8 byte, so this
  // refuses huge strings without scanning them.
  if (key.length > LIMITS.keyBytes) throw new InvalidKeyError(`key exceeds ${LIMITS.keyBytes} bytes`)
  if (key.includes('\u0000')) throw new InvalidKeyError('key must not contain U+0000')
  if (!isWellFormedText(key)) throw new InvalidKeyError('key contains an unpaired surrogate')
  const bytes = utf8ByteLength(key)
  if (bytes > LIMITS.keyBytes) throw new InvalidKeyError(`key of ${bytes} bytes exceeds ${LIMITS.keyBytes} bytes`)
  return key
}

/** Returns `v` typed as bytes, or throws InvalidValueError / ValueTooLargeError. */
export function validateValue (v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new InvalidValueError(`value must be a Uint8Array, got ${typeName(v)}`)
  if (v.byteLength > LIMITS.valueBytes) throw new ValueTooLargeError(v.byteLength)
  return v
}
