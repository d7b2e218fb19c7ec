/**
 * How a hint sits in storage: the time this peer first stored it, then the sealed clock.
 *
 *   v2 (written now):  [tag = 2: 1 byte][storedAt ms: float64 big-endian][sealClock(clock)]
 *   v1 (older stores): sealClock(clock), which starts with the seal version byte 1
 *
 * The age limit (cluster/hint-expiry.ts) needs when the hint arrived here, measured by this
 * peer's clock. The entries' `ts` are the writing coordinator's clock, and a remote peer
 * chooses them: a far-future ts would make a hint immortal. A header outside the sealed
 * clock leaves the clock codec and stored-clock.ts untouched, and the first byte tells the
 * two formats apart, so a store written before the header still opens (its hints get the
 * time they were opened: data/hint-store.ts).
 *
 * The header is not under the CRC: a flipped bit there can only change a hint's age
 * (an implausible time is replaced by the time it was opened), never the data delivered.
 */
import type { DvvSet } from '@ringstore/core'
import { sealClock } from './stored-clock.js'

const HINT_RECORD_V2 = 2
const HEADER_BYTES = 9

/** A stored hint: when it was first stored (undefined in a v1 record) and its sealed clock. */
export interface HintRecord {
  readonly storedAt: number | undefined
  readonly sealed: Uint8Array
}

/** The stored bytes of a hint first stored at `storedAt` (ms). */
export function encodeHintRecord (storedAt: number, clock: DvvSet): Uint8Array {
  return stampHintRecord(storedAt, sealClock(clock))
}

/** A hint record of an already sealed clock (a v1 record given its time: hint-store.ts open). */
export function stampHintRecord (storedAt: number, sealed: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + sealed.length)
  out[0] = HINT_RECORD_V2
  new DataView(out.buffer).setFloat64(1, storedAt)
  out.set(sealed, HEADER_BYTES)
  return out
}

/**
 * The parts of a stored hint (views into `bytes`); never throws. A v1 record is all sealed
 * clock, and so is a v2 record too short for its header: its sealed part then fails to open
 * as corrupt (its first byte is no seal version), which stored-clock.ts openClock reports.
 */
export function readHintRecord (bytes: Uint8Array): HintRecord {
  if (bytes[0] !== HINT_RECORD_V2 || bytes.length < HEADER_BYTES) return { storedAt: undefined, sealed: bytes }
  const storedAt = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(1)
  return { storedAt: Number.isFinite(storedAt) && storedAt >= 0 ? storedAt : undefined, sealed: bytes.subarray(HEADER_BYTES) }
}
