/**
 * How a clock sits in storage: `sealRecord(encodeClock(clock))`, so a torn or bit-rotted
 * record is detected on read. A record that fails to open or decode is reported (error log
 * and `metrics.corruptRecords`, once per read that meets it) and is never served: the
 * replica store (replica-store.ts) answers it as an unknown version, never as "no such
 * key", and the next merge (read repair, anti-entropy) overwrites it with the version of
 * the other replicas.
 */
import { decodeClock, encodeClock, encodedClockDigest, openRecord, sealRecord } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import type { Logger } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import type { OpenedClocks } from './opened-clocks.js'

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

/**
 * The Merkle leaf of a key whose stored record is corrupt: the digest of bytes that are no
 * clock encoding (decodeClock refuses them), so it equals no real version's digest and
 * anti-entropy finds the key different from every good replica's (and repairs it).
 */
export const CORRUPT_DIGEST: Uint8Array = encodedClockDigest(new TextEncoder().encode('ringstore: corrupt record'))

/** Whether `bytes` open and decode as a clock (no report: for re-checks of a record already reported). */
export function isSoundRecord (bytes: Uint8Array): boolean {
  try {
    decodeClock(openRecord(bytes))
    return true
  } catch {
    return false
  }
}

type Where = { readonly ns: string, readonly key: string }
type Report = { readonly log: Logger, readonly metrics: PeerMetrics }

/**
 * The clock in a stored record, or `null` (reported) when the record is corrupt. With
 * `opened`, a record byte for byte the same as one decoded lately is not decoded again.
 */
export function openClock (bytes: Uint8Array, where: Where, report: Report, opened?: OpenedClocks): DvvSet | null {
  const cached = opened?.lookup(where.key, bytes)
  if (cached !== undefined) return cached
  // Most reads (hints, gets, merges) need no digest: don't hash for them.
  const clock = openPayload(bytes, where, report, (payload) => decodeClock(payload))
  if (clock !== null) opened?.remember(where.key, bytes, clock)
  return clock
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
    report.log.error('corrupt stored record: not served, repaired from the other replicas', {
      ns: where.ns,
      key: where.key,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    })
    return null
  }
}
