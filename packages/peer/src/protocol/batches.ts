/**
 * Cutting many versions into requests that fit a frame (hint delivery, anti-entropy push,
 * ownership transfer all send `replica-put-many` batches; read repair and a put's
 * replication send `replica-put`). A batch is bounded by bytes as well as by key count,
 * and a version too large for one frame travels as actor-disjoint parts (core's
 * versions-split.ts): merging the parts one by one gives what merging the whole gives.
 */
import { LIMITS, clockWireBytes, splitClock } from '@ringstore/core'
import type { DvvSet, Key } from '@ringstore/core'

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

/** Upper bound of one `[key, clock]` item on the wire (a UTF-16 unit is at most 3 UTF-8 bytes). */
function itemBytes ([key, clock]: readonly [Key, DvvSet]): number {
  return 1 + 9 + 3 * key.length + clockWireBytes(clock)
}

/**
 * Byte budget of one batch of versions, and of one part of a version: half of
 * LIMITS.frameBytes. The sizes are upper bounds, so the other half is headroom: a part
 * holding a single entry at the write bound (LIMITS.siblingBytes of values, half a frame)
 * goes over the budget by its headers and still fits the frame.
 */
export const BATCH_BYTES = LIMITS.frameBytes / 2

/** A version cut into parts that each fit one frame (`[clock]` when it fits whole). */
export function versionParts (clock: DvvSet): DvvSet[] {
  return splitClock(clock, BATCH_BYTES)
}

/** One `replica-put-many` worth of parts, and the versions whose last part it carries. */
export interface VersionBatch {
  /** What to send: whole versions, or parts of one too large for a frame. */
  readonly items: Array<readonly [Key, DvvSet]>
  /**
   * The whole versions sent completely once this batch (and those before it) is acknowledged:
   * what a sender may now treat as delivered (drop a transferred key, remove a hint).
   */
  readonly complete: Array<readonly [Key, DvvSet]>
}

/**
 * `items` ([key, clock] pairs) as batches that each fit one `replica-put-many` frame, by
 * key count and by bytes; a version too large for a frame is cut into parts, which go in
 * order, so its `complete` entry comes with the batch that carries its last part.
 */
export function partBatches (items: ReadonlyArray<readonly [Key, DvvSet]>, maxItems: number = LIMITS.batchKeys): VersionBatch[] {
  const parts: Array<{ readonly item: readonly [Key, DvvSet], readonly last?: readonly [Key, DvvSet] }> = []
  for (const whole of items) {
    const cut = versionParts(whole[1])
    cut.forEach((part, i) => {
      parts.push(i === cut.length - 1 ? { item: [whole[0], part], last: whole } : { item: [whole[0], part] })
    })
  }
  return batchBySize(parts, maxItems, BATCH_BYTES, (p) => itemBytes(p.item)).map((batch) => ({
    items: batch.map((p) => p.item),
    complete: batch.flatMap((p) => (p.last === undefined ? [] : [p.last]))
  }))
}

/** `items` in batches that each fit one `replica-put-many` frame (parts of large versions included). */
export function versionBatches (items: ReadonlyArray<readonly [Key, DvvSet]>, maxItems: number = LIMITS.batchKeys): Array<Array<readonly [Key, DvvSet]>> {
  return partBatches(items, maxItems).map((batch) => batch.items)
}
