/**
 * The cart's stored bytes: canonical JSON, version 1.
 *
 *   {"v":1,"ctx":[["<writer>",seq],…],"items":[["<item>",[["<writer>",seq,qty],…]],…]}
 *
 * Everything arriving from the store is untrusted (another tab, an old build, a hand-made
 * PUT through the daemon's HTTP API): `decodeCart` checks every field and the CRDT's own
 * invariant (every tag's dot is covered by the context) and throws CartDecodeError on
 * anything else, never another error.
 */
import { MAX_QUANTITY, compareTags, compareText } from './cart-model.js'
import type { CartState, CartTag, ItemId, WriterId } from './cart-model.js'

export const CART_LIMITS = {
  /** Bytes of one stored cart: the store's own value limit (LIMITS.valueBytes, 1 MiB). */
  bytes: 1024 * 1024,
  /** Distinct products in a cart: a shop limit far above any real basket. */
  items: 500,
  /** Writers (tabs that ever edited the cart): the store's clock limit is 64 per key; a
   * cart keeps one entry per tab forever, so allow many more. */
  writers: 1024,
  /** Chars of a writer id (a libp2p peer id is ~52) and of an item id. */
  idChars: 128,
  /** Live tags of one item: at most one per writer in any reachable state. */
  tagsPerItem: 1024
} as const

export class CartDecodeError extends Error {
  static override name = 'CartDecodeError'
  override name = 'CartDecodeError'
}

export function cartToJson (cart: CartState): string {
  const items = [...cart.items].sort((x, y) => compareText(x[0], y[0]))
    .map(([item, tags]) => [item, [...tags].sort(compareTags).map((t) => [t.writer, t.seq, t.quantity])])
  return JSON.stringify({ v: 1, ctx: cart.context, items })
}

export function encodeCart (cart: CartState): Uint8Array {
  return new TextEncoder().encode(cartToJson(cart))
}

function fail (message: string): never {
  throw new CartDecodeError(message)
}

function isId (x: unknown): x is string {
  // No control characters: ids are shown in the UI and logged.
  return typeof x === 'string' && x.length > 0 && x.length <= CART_LIMITS.idChars && ![...x].some((c) => c < ' ' || c === '\u007f')
}

function isCounter (x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 1
}

function decodeContext (raw: unknown): Array<readonly [WriterId, number]> {
  if (!Array.isArray(raw) || raw.length > CART_LIMITS.writers) fail('ctx: not an array of at most ' + CART_LIMITS.writers)
  const context = new Map<WriterId, number>()
  for (const entry of raw as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || !isId(entry[0]) || !isCounter(entry[1])) fail('ctx: bad entry')
    const [writer, seq] = entry as [string, number]
    if (context.has(writer)) fail(`ctx: duplicate writer ${writer}`)
    context.set(writer, seq)
  }
  return [...context].sort((a, b) => compareText(a[0], b[0]))
}

function decodeTag (raw: unknown, context: ReadonlyMap<WriterId, number>): CartTag {
  if (!Array.isArray(raw) || raw.length !== 3) fail('tag: not [writer, seq, quantity]')
  const [writer, seq, quantity] = raw as unknown[]
  if (!isId(writer) || !isCounter(seq)) fail('tag: bad dot')
  if (!Number.isSafeInteger(quantity) || (quantity as number) < 1 || (quantity as number) > MAX_QUANTITY) fail('tag: bad quantity')
  if (seq > (context.get(writer) ?? 0)) fail(`tag: dot ${writer}:${seq} beyond the context`)
  return { writer, seq, quantity: quantity as number }
}

function decodeItems (raw: unknown, context: ReadonlyMap<WriterId, number>): Map<ItemId, readonly CartTag[]> {
  if (!Array.isArray(raw) || raw.length > CART_LIMITS.items) fail('items: not an array of at most ' + CART_LIMITS.items)
  const items = new Map<ItemId, readonly CartTag[]>()
  for (const entry of raw as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || !isId(entry[0]) || !Array.isArray(entry[1])) fail('items: bad entry')
    const [item, rawTags] = entry as [string, unknown[]]
    if (items.has(item)) fail(`items: duplicate item ${item}`)
    if (rawTags.length === 0 || rawTags.length > CART_LIMITS.tagsPerItem) fail(`items: ${item} has ${rawTags.length} tags`)
    const tags = rawTags.map((t) => decodeTag(t, context)).sort(compareTags)
    if (tags.some((t, i) => i > 0 && compareTags(t, tags[i - 1] as CartTag) === 0)) fail(`items: ${item} repeats a dot`)
    items.set(item, tags)
  }
  return items
}

/** Parses and validates stored bytes into a cart; CartDecodeError on anything malformed. */
export function decodeCart (bytes: Uint8Array): CartState {
  if (!(bytes instanceof Uint8Array) || bytes.length > CART_LIMITS.bytes) fail('not a byte array within the size limit')
  let doc: unknown
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    fail('not UTF-8 JSON')
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('not a JSON object')
  const { v, ctx, items } = doc as Record<string, unknown>
  // JSON.stringify, not String(): a parsed object such as {"toString":0} makes String() throw.
  if (v !== 1) fail(`unknown cart version ${JSON.stringify(v)?.slice(0, 40) ?? 'missing'}`)
  const context = decodeContext(ctx)
  return { context, items: decodeItems(items, new Map(context)) }
}
