/**
 * Whether versions fit one reply frame. A reply is checked before it is sent, from the
 * versions' size bounds (core's clockWireBytes), so that a version too large for a frame is
 * refused by name ('too-large', which askers of `replica-get-many` answer by asking for
 * fewer keys) instead of failing to encode on its way out ('internal', logged by the
 * network as "response does not encode").
 */
import { LIMITS, clockWireBytes } from '@ringstore/core'
import type { DvvSet, Key } from '@ringstore/core'
import { ReplyTooLargeError } from '../errors.js'

/** Room for the frame and reply headers around the versions (id, tags, list heads). */
const ENVELOPE_BYTES = 4096

/** Largest bound of the versions a reply may carry. */
export const REPLY_BYTES = LIMITS.frameBytes - ENVELOPE_BYTES

/** Throws ReplyTooLargeError unless `items` fit one reply (a key is at most 3 UTF-8 bytes per UTF-16 unit). */
export function checkReplyFits (items: ReadonlyArray<readonly [Key, DvvSet | null]>): void {
  let bytes = 0
  for (const [key, clock] of items) bytes += 10 + 3 * key.length + (clock === null ? 1 : clockWireBytes(clock))
  if (bytes > REPLY_BYTES) {
    throw new ReplyTooLargeError(`versions of ${items.length} key(s) take up to ${bytes} bytes, more than a reply frame holds (${REPLY_BYTES})`)
  }
}
