/**
 * Cutting many versions into requests that fit a frame (hint delivery, anti-entropy push,
 * ownership transfer all send `replica-put-many` batches).
 */
import { LIMITS } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'

/**
 * Splits `items` into consecutive batches of at most `maxItems` items and at most
 * `maxBytes` estimated bytes (an item larger than `maxBytes` travels alone).
 */
export function batchBySize<T> (items: readonly T[], maxItems: number, maxBytes: number, sizeOf: (item: T) => number): T[][] {
  const batches: T[][] = []
  let current: T[] = []
  let bytes = 0
  for (const item of items) {
    const size = sizeOf(item)
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += size
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/** Rough wire size of a version (values dominate; 16 B per entry for ids and counters). */
export function clockBytes (clock: DvvSet): number {
  let bytes = 0
  for (const entry of clock.entries) {
    bytes += entry.actor.length + 16
    for (const sibling of entry.values) bytes += (sibling.value?.byteLength ?? 0) + 16
  }
  for (const sibling of clock.anonymous) bytes += (sibling.value?.byteLength ?? 0) + 16
  return bytes
}

/**
 * Byte budget of one batch of versions: half of LIMITS.frameBytes, leaving room for CBOR
 * framing and for the estimate's slack (`clockBytes` is approximate).
 */
export const BATCH_BYTES = LIMITS.frameBytes / 2

/** `items` ([key, clock] pairs) in batches that each fit one `replica-put-many` frame. */
export function versionBatches<T extends readonly [string, DvvSet]> (items: readonly T[], maxItems = LIMITS.batchKeys): T[][] {
  return batchBySize(items, maxItems, BATCH_BYTES, ([key, clock]) => key.length + clockBytes(clock))
}
