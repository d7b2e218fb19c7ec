/**
 * What a sibling merge did, in words for the conflicts panel: for every item on which the
 * conflicting versions disagree, the quantity in each version and the merged outcome.
 */
import { compareText, quantityOf } from './cart-model.js'
import type { CartState, ItemId } from './cart-model.js'

export interface MergeNote {
  readonly item: ItemId
  /** Quantity in each conflicting version (0 = not in that version). */
  readonly quantities: readonly number[]
  readonly merged: number
  readonly outcome: 'kept the larger quantity' | 'kept a concurrent add' | 'stayed removed' | 'kept'
}

export interface MergeRecord {
  /** Wall clock (ms) of the merge, for display. */
  readonly at: number
  /** How many conflicting versions (siblings) the read returned. */
  readonly versions: number
  /** Versions that were not a valid cart (skipped, then overwritten by the merge). */
  readonly unreadable: number
  readonly notes: readonly MergeNote[]
  /** Items in the merged cart. */
  readonly mergedItems: number
}

function outcomeOf (quantities: readonly number[], merged: number): MergeNote['outcome'] {
  if (merged === 0) return 'stayed removed'
  if (quantities.some((q) => q === 0)) return 'kept a concurrent add'
  if (quantities.some((q) => q !== merged)) return 'kept the larger quantity'
  return 'kept'
}

/** Notes for the items the versions disagree on, in item order. */
export function describeMerge (versions: readonly CartState[], merged: CartState, unreadable: number, at: number): MergeRecord {
  const ids = new Set<ItemId>()
  for (const v of versions) for (const item of v.items.keys()) ids.add(item)
  const notes: MergeNote[] = []
  for (const item of [...ids].sort(compareText)) {
    const quantities = versions.map((v) => quantityOf(v, item))
    if (quantities.every((q) => q === quantities[0])) continue
    const mergedQuantity = quantityOf(merged, item)
    notes.push({ item, quantities, merged: mergedQuantity, outcome: outcomeOf(quantities, mergedQuantity) })
  }
  return { at, versions: versions.length + unreadable, unreadable, notes, mergedItems: merged.items.size }
}
