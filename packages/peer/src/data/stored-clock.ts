/**
 * How a clock sits in storage: `sealRecord(encodeClock(clock))`, so a torn or bit-rotted
 * record is detected on read. A record that fails to open or decode is reported (error log
 * and `metrics.corruptRecords`) and read as absent: it is never served, and the next merge
 * or anti-entropy round overwrites it with a good copy from another replica.
 */
import { decodeClock, encodeClock, encodedClockDigest, openRecord, sealRecord } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import type { Logger } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'

export function sealClock (clock: DvvSet): Uint8Array {
  return sealRecord(encodeClock(clock))
}

/** A clock ready to store: its sealed record and its Merkle digest, from one encoding. */
export interface SealedClock {
  readonly sealed: Uint8Array
  readonly digest: Uint8Array
}

/** `sealClock` and `clockDigest` of `clock` at the cost of one encoding. */
export function sealClockWithDigest (clock: DvvSet): SealedClock {
  const encoded = encodeClock(clock)
  return { sealed: sealRecord(encoded), digest: encodedClockDigest(encoded) }
}

type Where = { readonly ns: string, readonly key: string }
type Report = { readonly log: Logger, readonly metrics: PeerMetrics }

/** The clock in a stored record, or `null` (reported) when the record is corrupt. */
export function openClock (bytes: Uint8Array, where: Where, report: Report): DvvSet | null {
  // Most reads (hints, gets, merges) need no digest: don't hash for them.
  return openPayload(bytes, where, report, (payload) => decodeClock(payload))
}

/**
 * `openClock` plus the clock's `clockDigest`, hashed from the stored encoding (decodeClock
 * accepts only the canonical encoding, so these bytes are `encodeClock(clock)`).
 */
export function openClockWithDigest (bytes: Uint8Array, where: Where, report: Report): { readonly clock: DvvSet, readonly digest: Uint8Array } | null {
  return openPayload(bytes, where, report, (payload) => ({ clock: decodeClock(payload), digest: encodedClockDigest(payload) }))
}

/** `read` of the record's payload, or `null` (reported) when the record or the clock in it is corrupt. */
function openPayload<T> (bytes: Uint8Array, where: Where, report: Report, read: (payload: Uint8Array) => T): T | null {
  try {
    // decodeClock checks every field and the DVV invariants (it throws CodecError).
    return read(openRecord(bytes))
  } catch (error) {
    report.metrics.corruptRecords++
    report.log.error('corrupt stored record treated as absent', {
      ns: where.ns,
      key: where.key,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    })
    return null
  }
}
