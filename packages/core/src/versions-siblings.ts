/**
 * Byte-wise comparison and the canonical order of siblings. DVVSet's anonymous values are a
 * set; to make `sync` canonical (equal inputs in any order give structurally equal output)
 * we keep that set sorted by this order and free of duplicates.
 */
import type { Sibling } from './types.js'

/** Lexicographic order of byte strings (shorter prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/** Order of sibling values: a tombstone (null) sorts before any bytes. */
export function compareValues(a: Uint8Array | null, b: Uint8Array | null): number {
  if (a === null) return b === null ? 0 : -1
  if (b === null) return 1
  return compareBytes(a, b)
}

/** Canonical total order of siblings: by ts, then by value bytes. */
export function compareSiblings(a: Sibling, b: Sibling): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  return compareValues(a.value, b.value)
}

/** Lexicographic order of sibling lists by `compareSiblings` (a prefix first). */
export function compareSiblingLists(a: readonly Sibling[], b: readonly Sibling[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i] as Sibling
    const y = b[i] as Sibling
    // The same object on both sides (a clock merged with its own copy): equal, no byte walk.
    if (x === y) continue
    const d = compareSiblings(x, y)
    if (d !== 0) return d
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

export function siblingEqual(a: Sibling, b: Sibling): boolean {
  return compareSiblings(a, b) === 0
}

export function siblingListsEqual(a: readonly Sibling[], b: readonly Sibling[]): boolean {
  return a.length === b.length && a.every((s, i) => siblingEqual(s, b[i] as Sibling))
}

/** The canonical form of a set of siblings: sorted by `compareSiblings`, duplicates removed. */
export function canonicalSiblings(list: readonly Sibling[]): Sibling[] {
  const sorted = [...list].sort(compareSiblings)
  return sorted.filter((s, i) => i === 0 || !siblingEqual(s, sorted[i - 1] as Sibling))
}

/** Code-unit order of actor ids: the same in every JS engine (unlike localeCompare). */
export function compareActors(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
