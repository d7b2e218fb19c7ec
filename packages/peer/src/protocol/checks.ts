/**
 * Checks the served protocols share. The codec checks frames from the wire, but a Network
 * implementation may hand over objects directly (the loopback and simulated networks do),
 * so every request is checked again before use; a failed check throws BadRequestError or
 * one of core's validation errors, which the router answers with `bad-request`.
 */
import { LIMITS, clientKeyProblem, emptyClock, siblingCount, sync, validateClock, validateKey, valueBytes } from '@ringstore/core'
import type { DvvSet, Key, KeyAccess, PeerId } from '@ringstore/core'
import { InvalidHintTargetError, KeyRightsError, SiblingsTooLargeError, TooManySiblingsError } from '../errors.js'
import { BadRequestError } from './protocol.js'
import type { CallerRole } from './protocol.js'

export function checkKeys (keys: unknown): Key[] {
  if (!Array.isArray(keys) || keys.length > LIMITS.batchKeys) throw new BadRequestError(`keys must be an array of at most ${LIMITS.batchKeys}`)
  return keys.map((key) => validateKey(key))
}

export function checkClock (clock: unknown): DvvSet {
  validateClock(clock)
  return clock
}

export function checkItems (items: unknown): Array<readonly [Key, DvvSet]> {
  if (!Array.isArray(items) || items.length > LIMITS.batchKeys) throw new BadRequestError(`items must be an array of at most ${LIMITS.batchKeys}`)
  return items.map((item) => {
    if (!Array.isArray(item) || item.length !== 2) throw new BadRequestError('an item must be [key, clock]')
    return [validateKey(item[0]), checkClock(item[1])] as const
  })
}

export function checkPeerId (peer: unknown, what: string): PeerId {
  if (typeof peer !== 'string' || peer.length === 0 || peer.length > LIMITS.idBytes || peer.includes('\u0000')) {
    throw new BadRequestError(`${what} must be a peer id`)
  }
  return peer
}

/** A partition number of a ring of `q` partitions. */
export function checkPartition (partition: unknown, q: number): number {
  if (!Number.isSafeInteger(partition) || (partition as number) < 0 || (partition as number) >= q) {
    throw new BadRequestError(`partition must be an integer in 0..${q - 1}`)
  }
  return partition as number
}

/** What membership tells the protocols about a peer. */
export interface MemberRoles {
  roleOf(peer: PeerId): CallerRole
}

/**
 * A hint's target: only a member. Hints for anyone else would never be delivered nor
 * purged (a stranger could park any amount of data here under made-up targets).
 */
export function checkHintTarget (membership: MemberRoles, hintFor: unknown): PeerId {
  const target = checkPeerId(hintFor, 'hintFor')
  if (membership.roleOf(target) !== 'member') throw new InvalidHintTargetError(`hints are kept only for members; ${target} is not one`)
  return target
}

/**
 * Per-key rights on the client surface (core's key-rights.ts): a member may touch any key;
 * a client only the keys the rules give it, else KeyRightsError (answered `forbidden`).
 */
export function checkKeyRights (membership: MemberRoles, from: PeerId, key: Key, access: KeyAccess): void {
  if (membership.roleOf(from) === 'member') return
  const problem = clientKeyProblem(key, from, access)
  if (problem !== undefined) throw new KeyRightsError(key, `${access === 'read' ? 'reading' : 'writing'} ${JSON.stringify(key.slice(0, 80))} is refused: ${problem}`)
}

/**
 * A client's contribution is a write (its own new dots), so it meets the write bounds a
 * coordinator's mint does (data/mint.ts: LIMITS.siblings, LIMITS.siblingBytes): merged with
 * what this replica holds (`local`, null for a hint), it may not grow the key past them.
 * Merges between members go past those bounds (up to the storage bound); without this a
 * client with the right to a key could grow it that far with values of its own.
 */
export function checkClientGrowth (local: DvvSet | null, contribution: DvvSet): void {
  const before = local ?? emptyClock()
  const merged = sync(before, contribution)
  const count = siblingCount(merged)
  if (count > LIMITS.siblings && count > siblingCount(before)) throw new TooManySiblingsError(count, LIMITS.siblings)
  const bytes = valueBytes(merged)
  if (bytes > LIMITS.siblingBytes && bytes > valueBytes(before)) throw new SiblingsTooLargeError(bytes, LIMITS.siblingBytes)
}
