/**
 * Minting a new version of a key (riak_kv_put_core style): pure, so the coordinator's
 * write and its tests need no store. The replica store calls it under the key's lock with
 * the stored version and its current actor (`ReplicaStore.stage`).
 */
import { LIMITS, emptyClock, siblingCount, update } from '@ringstore/core'
import type { DvvSet, VersionVector } from '@ringstore/core'
import { TooManySiblingsError } from '../errors.js'

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
 * new dot of `actor`. Throws TooManySiblingsError when it would hold more than
 * `siblingLimit` siblings: the caller must read and merge them first, or the key would grow
 * without bound.
 */
export function mint (current: DvvSet | null, command: MintCommand, actor: string, siblingLimit: number = LIMITS.siblings): Minted {
  const next = update(current ?? emptyClock(), command.context, { value: command.value, ts: command.ts }, actor)
  const count = siblingCount(next)
  if (count > siblingLimit) throw new TooManySiblingsError(count, siblingLimit)
  return { next, dot: [actor, next.entries.find((e) => e.actor === actor)?.counter ?? 0] }
}
