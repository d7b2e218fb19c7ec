/**
 * Clocks (DVV sets) and causal contexts (version vectors) on the wire and on disk.
 *
 * Wire layout (CBOR arrays):
 *   Sibling  = [value: bytes | null, ts: number ≥ 0]
 *   DvvEntry = [actor: text, counter: uint ≥ 1, values: [Sibling…], ts: number ≥ 0]
 *   DvvSet   = [entries: [DvvEntry…], anonymous: [Sibling…]]
 *   Context  = [[actor: text, counter: uint ≥ 1]…]
 * Actors are sorted by JavaScript string order (UTF-16 code units, what `Array#sort`
 * does) and unique, so equal clocks encode to equal bytes: the encoding is also the
 * replica storage format and the input of `clockDigest`. After the field checks here,
 * `validateClock` / `validateContext` (versions.ts) check the DVVSet invariants (e.g. the
 * canonical order of anonymous siblings); their errors become CodecErrors.
 * Timestamps may be fractional (the simulator's virtual clock); cborg writes the shortest
 * exact float, so the encoding stays canonical.
 */
import { sha256 } from '#sha256'
import { fromBase64Url, toBase64Url } from './codec-base64.js'
import type { FromWire, Path } from './codec-wire.js'
import { decodeChecked, encodeChecked, readInt, readList, readNullable, readPeerId, readTime, readValue } from './codec-wire.js'
import { CodecError } from './errors.js'
import { validateClock, validateContext } from './versions.js'
import type { DvvEntry, DvvSet, Sibling, VersionVector } from './types.js'
import { LIMITS } from './types.js'

/** Bytes of a clock digest (a truncated sha256): plenty to tell versions apart in a tree. */
export const CLOCK_DIGEST_BYTES = 16

/**
 * Upper bound of an encoded stored clock (the storage bound in bytes): what merges may
 * reach, `LIMITS.storedSiblings` siblings of the write bound's average size, plus every
 * entry's header. Far larger than LIMITS.frameBytes on purpose: a merged replica must stay
 * readable; on the wire it travels as actor-disjoint parts that each fit a frame
 * (versions-split.ts), so within a frame the frame bound is the tighter one.
 */
export const MAX_CLOCK_BYTES = LIMITS.storedSiblings * (LIMITS.siblingBytes / LIMITS.siblings + 32) +
  LIMITS.storedClockEntries * (LIMITS.idBytes + 48) + 64

/** Upper bound of an encoded context: per entry a 1-byte array header, id, 9-byte counter. */
export const MAX_CONTEXT_BYTES = LIMITS.storedClockEntries * (LIMITS.idBytes + 16) + 16

/** Upper bound of a context string: base64 turns 3 bytes into 4 characters. */
export const MAX_CONTEXT_CHARS = Math.ceil(MAX_CONTEXT_BYTES * 4 / 3)

// ---- wire conversions ----

/** Runs a versions.ts validator, turning its InvalidClockError into a CodecError at `path`. */
function checkWith (validate: (x: unknown) => void, x: unknown, path: Path): void {
  try {
    validate(x)
  } catch (err) {
    throw new CodecError(err instanceof Error ? err.message : String(err), path, { cause: err })
  }
}

function siblingToWire (s: Sibling): unknown {
  return [s.value, s.ts]
}

function siblingFromWire (w: unknown, path: Path): Sibling {
  const [value, ts] = readList(w, path, 2, 2, (x) => x)
  return {
    value: readNullable(value, `${path}.value`, readValue),
    ts: readTime(ts, `${path}.ts`)
  }
}

function entryFromWire (w: unknown, path: Path): DvvEntry {
  const [actor, counter, values, ts] = readList(w, path, 4, 4, (x) => x)
  const entry: DvvEntry = {
    actor: readPeerId(actor, `${path}.actor`),
    counter: readInt(counter, `${path}.counter`, 1),
    values: readList(values, `${path}.values`, 0, LIMITS.storedSiblings, siblingFromWire),
    ts: readTime(ts, `${path}.ts`)
  }
  // values[i] carries the dot (actor, counter - i), and dots start at 1.
  if (entry.values.length > entry.counter) {
    throw new CodecError(`${entry.values.length} values exceed counter ${entry.counter}`, `${path}.values`)
  }
  return entry
}

/** Throws unless actors are strictly increasing (sorted, no duplicates). */
function checkSortedActors (actors: readonly string[], path: Path, field: string): void {
  for (let i = 1; i < actors.length; i++) {
    if (!(actors[i - 1]! < actors[i]!)) throw new CodecError('actors must be sorted and unique', `${path}[${i}]${field}`)
  }
}

export function clockToWire (clock: DvvSet): unknown {
  return [
    clock.entries.map((e) => [e.actor, e.counter, e.values.map(siblingToWire), e.ts]),
    clock.anonymous.map(siblingToWire)
  ]
}

export const clockFromWire: FromWire<DvvSet> = (w, path) => {
  const [entriesWire, anonymousWire] = readList(w, path, 2, 2, (x) => x)
  // The storage bounds, not the write bounds: a merge may hold more than a write may mint.
  const entries = readList(entriesWire, `${path}.entries`, 0, LIMITS.storedClockEntries, entryFromWire)
  checkSortedActors(entries.map((e) => e.actor), `${path}.entries`, '.actor')
  const anonymous = readList(anonymousWire, `${path}.anonymous`, 0, LIMITS.storedSiblings, siblingFromWire)
  let siblings = anonymous.length
  for (const e of entries) siblings += e.values.length
  if (siblings > LIMITS.storedSiblings) throw new CodecError(`${siblings} siblings exceed the storage bound of ${LIMITS.storedSiblings}`, path)
  const clock: DvvSet = { entries, anonymous }
  checkWith(validateClock, clock, path)
  return clock
}

export function contextToWire (vv: VersionVector): unknown {
  return vv.map(([actor, counter]) => [actor, counter])
}

export const contextFromWire: FromWire<VersionVector> = (w, path) => {
  // As many entries as a stored clock: a read's context must be good for the write that merges it.
  const vv = readList(w, path, 0, LIMITS.storedClockEntries, (x, p): readonly [string, number] => {
    const [actor, counter] = readList(x, p, 2, 2, (y) => y)
    return [readPeerId(actor, `${p}.actor`), readInt(counter, `${p}.counter`, 1)]
  })
  checkSortedActors(vv.map(([actor]) => actor), path, '.actor')
  checkWith(validateContext, vv, path)
  return vv
}

// ---- public API ----

/** Canonical bytes of a clock: equal clocks give equal bytes. Also the replica storage format. */
export function encodeClock (clock: DvvSet): Uint8Array {
  return encodeChecked(clock, 'clock', MAX_CLOCK_BYTES, clockToWire, clockFromWire)
}

export function decodeClock (bytes: Uint8Array): DvvSet {
  return decodeChecked(bytes, 'clock', MAX_CLOCK_BYTES, clockFromWire)
}

/** First 16 bytes of sha256(encodeClock(clock)); what Merkle leaves compare. */
export function clockDigest (clock: DvvSet): Uint8Array {
  return encodedClockDigest(encodeClock(clock))
}

/**
 * `clockDigest` of the clock whose canonical encoding is `encoded` (what `encodeClock`
 * returned, or bytes `decodeClock` accepted: the two are the same bytes). A store holds
 * that encoding anyway, and encoding the clock a second time cost as much as hashing it.
 */
export function encodedClockDigest (encoded: Uint8Array): Uint8Array {
  return sha256(encoded).slice(0, CLOCK_DIGEST_BYTES)
}

export function encodeContext (vv: VersionVector): Uint8Array {
  return encodeChecked(vv, 'context', MAX_CONTEXT_BYTES, contextToWire, contextFromWire)
}

export function decodeContext (bytes: Uint8Array): VersionVector {
  return decodeChecked(bytes, 'context', MAX_CONTEXT_BYTES, contextFromWire)
}

/**
 * The opaque `X-Ringstore-Context` header value: unpadded base64url of `encodeContext`.
 * The empty context is not special-cased: it encodes to "gA" (CBOR `[]`), so a header
 * is never empty. `contextFromString('')` also yields the empty context, for callers
 * that pass a missing header through as ''.
 */
export function contextToString (vv: VersionVector): string {
  return toBase64Url(encodeContext(vv))
}

export function contextFromString (s: string): VersionVector {
  if (typeof s !== 'string') throw new CodecError('expected a string', 'context')
  if (s === '') return []
  if (s.length > MAX_CONTEXT_CHARS) throw new CodecError(`context string exceeds ${MAX_CONTEXT_CHARS} characters`, 'context')
  return decodeContext(fromBase64Url(s, 'context'))
}
