/**
 * The shopping cart as a state-based CRDT: the application's reconciliation (Dynamo §4.4,
 * "the shopping cart application can merge the versions"), done so that a removed item is
 * never resurrected, which the paper's cart admits it may do.
 *
 * Shape (an observed-remove map of "tags", after Almeida et al.'s causal delta-CRDTs):
 * - every change a tab makes to a line mints a *dot* `(writer, seq)`: the tab's own
 *   counter, one above the highest seq of that writer this cart has seen;
 * - a line item holds the *tags* `(writer, seq, quantity)` nobody has replaced yet;
 * - `context` is a version vector, one `[writer, maxSeq]` entry per tab that ever changed
 *   the cart: every dot at or below it has been *seen* by this state.
 *
 * Operations (each replaces only the tags this state has seen):
 * - `setQuantity(item, q)`: drop the item's tags, add one fresh tag carrying `q`;
 * - `addItem(item, k)`: `setQuantity(item, quantity + k)`;
 * - `removeItem(item)`: drop the item's tags (the context still records them as seen).
 *
 * Merge (the join): a tag survives if both states hold it, or if one holds it and the other
 * has not seen its dot. A tag the other side has seen but no longer holds was replaced or
 * removed there, so it goes. The contexts merge pointwise (max). The displayed quantity of
 * an item is the LARGEST quantity among its surviving tags. Consequences:
 * - concurrent adds are both kept (neither side has seen the other's fresh tag);
 * - an item removed on one side and untouched on the other stays removed (the untouched
 *   side still holds the old tags, but the remover has seen them);
 * - removed on one side, changed on the other: the change wins (the remover never saw it);
 * - changed on both sides: the larger quantity wins (both fresh tags survive; max).
 *
 * Tombstones are not stored at all: "seen but absent" IS the tombstone, so removed tags
 * cost nothing once gone and the state is O(live tags + writers). The price is one context
 * entry per tab that ever edited the cart, kept forever (dropping one could let a stale
 * replica resurrect that tab's removed items).
 *
 * Everything here is pure and immutable; cart-codec.ts holds the stored bytes.
 */

/** A tab's identity in the cart (its peer id). */
export type WriterId = string
/** A product id. */
export type ItemId = string

/** One live change to an item: the dot that made it and the quantity it set. */
export interface CartTag {
  readonly writer: WriterId
  readonly seq: number
  readonly quantity: number
}

export interface CartState {
  /** Sorted by writer, unique writers, seq ≥ 1: every dot at or below is seen. */
  readonly context: ReadonlyArray<readonly [WriterId, number]>
  /** item → its live tags sorted by (writer, seq); items with no tag are absent. */
  readonly items: ReadonlyMap<ItemId, readonly CartTag[]>
}

export interface CartLine {
  readonly item: ItemId
  readonly quantity: number
}

/** A quantity a line may hold: a shop limit, also what a decoder accepts (1..999). */
export const MAX_QUANTITY = 999

/** Bad arguments to a cart operation (not a merge problem: merge is total). */
export class CartInputError extends Error {
  static override name = 'CartInputError'
  override name = 'CartInputError'
}

const EMPTY: CartState = Object.freeze({ context: Object.freeze([]), items: new Map() })

export function emptyCart (): CartState {
  return EMPTY
}

/** Code-unit order: the same in every JavaScript engine (localeCompare is not). */
export function compareText (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function compareTags (a: CartTag, b: CartTag): number {
  return compareText(a.writer, b.writer) || a.seq - b.seq
}

/** The highest seq of `writer` this state has seen (0 if none). */
export function seenSeq (cart: CartState, writer: WriterId): number {
  for (const [w, seq] of cart.context) if (w === writer) return seq
  return 0
}

function hasSeen (context: CartState['context'], tag: CartTag): boolean {
  for (const [w, seq] of context) if (w === tag.writer) return tag.seq <= seq
  return false
}

/** The item's quantity: the largest among its live tags; 0 when not in the cart. */
export function quantityOf (cart: CartState, item: ItemId): number {
  let max = 0
  for (const tag of cart.items.get(item) ?? []) max = Math.max(max, tag.quantity)
  return max
}

/** The cart's lines, sorted by item id. */
export function cartLines (cart: CartState): CartLine[] {
  return [...cart.items.keys()].sort(compareText).map((item) => ({ item, quantity: quantityOf(cart, item) }))
}

function checkWriter (writer: WriterId): void {
  if (typeof writer !== 'string' || writer.length === 0) throw new CartInputError('writer must be a non-empty string')
}

function checkItem (item: ItemId): void {
  if (typeof item !== 'string' || item.length === 0) throw new CartInputError('item must be a non-empty string')
}

function withItem (items: CartState['items'], item: ItemId, tags: readonly CartTag[]): Map<ItemId, readonly CartTag[]> {
  const next = new Map(items)
  if (tags.length === 0) next.delete(item)
  else next.set(item, tags)
  return next
}

/** Sets the item's quantity (0 removes it): replaces every tag of the item this state has seen. */
export function setQuantity (cart: CartState, writer: WriterId, item: ItemId, quantity: number): CartState {
  checkWriter(writer)
  checkItem(item)
  if (!Number.isSafeInteger(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
    throw new CartInputError(`quantity must be an integer in 0..${MAX_QUANTITY}, got ${String(quantity)}`)
  }
  if (quantity === 0) return removeItem(cart, item)
  const seq = seenSeq(cart, writer) + 1
  const context = cart.context.filter(([w]) => w !== writer)
  context.push([writer, seq])
  context.sort((a, b) => compareText(a[0], b[0]))
  return { context, items: withItem(cart.items, item, [{ writer, seq, quantity }]) }
}

/** Adds `count` (default 1) to the item's quantity, capped at MAX_QUANTITY. */
export function addItem (cart: CartState, writer: WriterId, item: ItemId, count = 1): CartState {
  if (!Number.isSafeInteger(count) || count < 1) throw new CartInputError(`count must be a positive integer, got ${String(count)}`)
  return setQuantity(cart, writer, item, Math.min(MAX_QUANTITY, quantityOf(cart, item) + count))
}

/** Removes the item: drops the tags this state has seen (a concurrent unseen change survives). */
export function removeItem (cart: CartState, item: ItemId): CartState {
  checkItem(item)
  if (!cart.items.has(item)) return cart
  return { context: cart.context, items: withItem(cart.items, item, []) }
}

function mergeContexts (a: CartState['context'], b: CartState['context']): Array<readonly [WriterId, number]> {
  const max = new Map<WriterId, number>(a)
  for (const [w, seq] of b) max.set(w, Math.max(seq, max.get(w) ?? 0))
  return [...max].sort((x, y) => compareText(x[0], y[0]))
}

function tagKey (tag: CartTag): string {
  return JSON.stringify([tag.writer, tag.seq])
}

/** One item's tags after the join. The same dot on both sides keeps the larger quantity,
 * which only matters if a writer ever reused a dot (a lost local write): it keeps the join
 * commutative, associative and idempotent even then. */
function mergeTags (a: readonly CartTag[], aContext: CartState['context'], b: readonly CartTag[], bContext: CartState['context']): CartTag[] {
  const inB = new Map(b.map((tag) => [tagKey(tag), tag]))
  const out: CartTag[] = []
  for (const tag of a) {
    const twin = inB.get(tagKey(tag))
    if (twin !== undefined) out.push(twin.quantity > tag.quantity ? twin : tag)
    else if (!hasSeen(bContext, tag)) out.push(tag)
  }
  const inA = new Set(a.map(tagKey))
  for (const tag of b) if (!inA.has(tagKey(tag)) && !hasSeen(aContext, tag)) out.push(tag)
  return out.sort(compareTags)
}

/** The join of two carts: commutative, associative, idempotent (see the module doc). */
export function mergeCarts (a: CartState, b: CartState): CartState {
  if (a === b) return a
  const items = new Map<ItemId, readonly CartTag[]>()
  const ids = [...new Set([...a.items.keys(), ...b.items.keys()])].sort(compareText)
  for (const item of ids) {
    const tags = mergeTags(a.items.get(item) ?? [], a.context, b.items.get(item) ?? [], b.context)
    if (tags.length > 0) items.set(item, tags)
  }
  return { context: mergeContexts(a.context, b.context), items }
}

/** The join of any number of carts (the empty cart for none). */
export function mergeAllCarts (carts: readonly CartState[]): CartState {
  return carts.reduce(mergeCarts, emptyCart())
}

/** Structural equality of two carts (both are kept in canonical order by every operation). */
export function sameCart (a: CartState, b: CartState): boolean {
  if (a === b) return true
  if (a.context.length !== b.context.length || a.items.size !== b.items.size) return false
  if (a.context.some(([w, seq], i) => b.context[i]?.[0] !== w || b.context[i]?.[1] !== seq)) return false
  for (const [item, tags] of a.items) {
    const other = b.items.get(item)
    if (other === undefined || other.length !== tags.length) return false
    if (tags.some((t, i) => compareTags(t, other[i] as CartTag) !== 0 || t.quantity !== other[i]?.quantity)) return false
  }
  return true
}
