/**
 * How user keys become storage keys, in one place: the replica store and the hint store
 * share the format, and a change to it is a change of the on-disk layout.
 *
 *   data:  `${hex8(hash)}/${key}`            one partition = one contiguous range
 *   hints: `${target}\u0000${dataKey(key)}`  one target    = one contiguous range
 *
 * The prefix is the first 32 bits of keyHash(key) in 8 hex digits, so storage order is
 * ring order and a partition is a range (hash.ts `partitionRange`). NUL cannot occur in a
 * user key (validateKey) and is refused in a hint target (`isHintTarget`), so the hint
 * key splits unambiguously at its first NUL.
 */
import { hashPrefixUint32, keyHash } from '@ringstore/core'
import type { Key, PeerId } from '@ringstore/core'

/** Length of the hex hash prefix of a data storage key, plus its '/' separator. */
const PREFIX_CHARS = 9

const HINT_SEPARATOR = '\u0000'
/** The character after HINT_SEPARATOR: the exclusive upper bound of one target's range. */
const AFTER_HINT_SEPARATOR = '\u0001'

/** The storage key of a user key in the `data` namespace. */
export function dataKey (key: Key): string {
  return dataKeyOfHash(key, keyHash(key))
}

/** `dataKey` for a key whose hash is at hand (hashing is the costly part: once per operation). */
export function dataKeyOfHash (key: Key, hash: Uint8Array): string {
  return `${hashPrefixUint32(hash).toString(16).padStart(8, '0')}/${key}`
}

/** The user key of a `data` storage key (inverse of `dataKey`). */
export function keyOfDataKey (storageKey: string): Key {
  return storageKey.slice(PREFIX_CHARS)
}

/** Whether `target` can name a hint range: non-empty and free of the separator. */
export function isHintTarget (target: PeerId): boolean {
  return typeof target === 'string' && target.length > 0 && !target.includes(HINT_SEPARATOR)
}

/** The storage key of the hint for `target` of user key `key`, in the `hints` namespace. */
export function hintKey (target: PeerId, key: Key): string {
  return `${target}${HINT_SEPARATOR}${dataKey(key)}`
}

/** [target, user key] of a hint storage key, or undefined when it has no separator. */
export function parseHintKey (storageKey: string): readonly [PeerId, Key] | undefined {
  const cut = storageKey.indexOf(HINT_SEPARATOR)
  if (cut <= 0) return undefined
  return [storageKey.slice(0, cut), keyOfDataKey(storageKey.slice(cut + 1))]
}

/** The user key of a hint storage key already known to belong to `target`. */
export function keyOfHintKey (target: PeerId, storageKey: string): Key {
  return keyOfDataKey(storageKey.slice(target.length + HINT_SEPARATOR.length))
}

/**
 * The storage range of `target`'s hints; with `after`, only those past that key's hint
 * (the smallest string above a key is that key followed by NUL).
 */
export function hintRange (target: PeerId, after?: Key): { readonly gte: string, readonly lt: string } {
  const gte = after === undefined ? `${target}${HINT_SEPARATOR}` : `${hintKey(target, after)}${HINT_SEPARATOR}`
  return { gte, lt: `${target}${AFTER_HINT_SEPARATOR}` }
}
