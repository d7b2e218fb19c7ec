/**
 * The cart id lives in the URL (`?cart=abc` or `#abc`) so that another tab, or another
 * device, opens the same cart. Without one, a fresh id is generated and put in the URL.
 */

/** Letters, digits, `-` and `_`, at most 64: safe in a URL, a store key and the UI. */
const CART_ID = /^[A-Za-z0-9_-]{1,64}$/

/** 10 base-36 characters ≈ 51 bits: enough that two shoppers never pick the same cart. */
const NEW_ID_CHARS = 10

export function newCartId (): string {
  const bytes = crypto.getRandomValues(new Uint8Array(NEW_ID_CHARS))
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('')
}

/** The cart id the URL names, if valid. */
export function cartIdFromUrl (url: URL): string | null {
  const fromQuery = url.searchParams.get('cart')
  if (fromQuery !== null && CART_ID.test(fromQuery)) return fromQuery
  const fromHash = url.hash.replace(/^#/, '')
  if (CART_ID.test(fromHash)) return fromHash
  return null
}

/** The URL's cart id, or a new one written into the URL (without a reload or a history entry). */
export function ensureCartId (win: Window): string {
  const url = new URL(win.location.href)
  const existing = cartIdFromUrl(url)
  if (existing !== null) return existing
  const id = newCartId()
  url.searchParams.set('cart', id)
  url.hash = ''
  win.history.replaceState(null, '', url)
  return id
}

/** The store key of a cart. */
export function cartKey (id: string): string {
  return `cart:${id}`
}
