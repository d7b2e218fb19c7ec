/**
 * Minting a new version of a key (riak_kv_put_core style): pure, so the coordinator's
 * write and its tests need no store. The replica store calls it under the key's lock with
 * the stored version and its current actor (`ReplicaStore.stage`).
 */
import { LIMITS, emptyClock, siblingCount, update, valueBytes } from '@ringstore/core'
import type { DvvSet, VersionVector } from '@ringstore/core'
import { SiblingsTooLargeError, TooManySiblingsError } from '../errors.js'

/** What a put asks for: the new value (null: a tombstone), the context it read, its wall-clock time. */
export interface MintCommand {
  readonly context: VersionVector
  readonly value: Uint8Array | null
  readonly ts: number
}

export interface Minted {
  /** The stored version with the new value in: siblings the context covers are gone. */
  readonly next: DvvSet
  /** The new dot: `actor` and the counter it reached in `next`. */
  readonly dot: readonly [actor: string, counter: number]
}

/**
 * The version that results from writing `command` over `current` (null: none stored) with a
 * new dot of `actor`. The write bounds (core's LIMITS.siblings, LIMITS.siblingBytes) are
 * checked here, where a dot is minted, and nowhere else: merges of existing versions go
 * past them. Throws TooManySiblingsError when the result would hold more than
 * `siblingLimit` siblings, SiblingsTooLargeError when more than `byteLimit` bytes of values:
 * the caller must read and merge them first, or the key would grow without bound. The byte
 * bound also keeps this actor's entry within half a frame, so a merged version can always
 * be cut into parts that each fit one (core's versions-split.ts).
 */
export function mint (
  current: DvvSet | null, command: MintCommand, actor: string,
  siblingLimit: number = LIMITS.siblings, byteLimit: number = LIMITS.siblingBytes
): Minted {
  const next = update(current ?? emptyClock(), command.context, { value: command.value, ts: command.ts }, actor)
  const count = siblingCount(next)
  if (count > siblingLimit) throw new TooManySiblingsError(count, siblingLimit)
  const bytes = valueBytes(next)
  if (bytes > byteLimit) throw new SiblingsTooLargeError(bytes, byteLimit)
  return { next, dot: [actor, next.entries.find((e) => e.actor === actor)?.counter ?? 0] }
}
