/**
 * How a clock sits in storage: `sealRecord(encodeClock(clock))`, so a torn or bit-rotted
 * record is detected on read. A record that fails to open or decode is reported (error log
 * and `metrics.corruptRecords`) and read as absent: it is never served, and the next merge
 * or anti-entropy round overwrites it with a good copy from another replica.
 */
import { decodeClock, encodeClock, openRecord, sealRecord } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import type { Logger } from './interfaces.js'
import type { PeerMetrics } from './metrics.js'

export function sealClock (clock: DvvSet): Uint8Array {
  return sealRecord(encodeClock(clock))
}

/** The clock in a stored record, or `null` (reported) when the record is corrupt. */
export function openClock (
  bytes: Uint8Array,
  where: { readonly ns: string, readonly key: string },
  report: { readonly log: Logger, readonly metrics: PeerMetrics }
): DvvSet | null {
  try {
    // decodeClock checks every field and the DVV invariants (it throws CodecError).
    return decodeClock(openRecord(bytes))
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
