/**
 * The cart id lives in the URL (`?cart=abc` or `#abc`) so that another tab, or another
 * device, opens the same cart: the URL is the cart's share link. Without one, a fresh id
 * is generated and put in the URL.
 *
 * The cart is a capability (core's key-rights.ts): its key is `cap/<id>/cart`, which any
 * tab that knows the id may read and write, and no tab can find without it (a client
 * cannot list keys). So the id must not be guessable: 16 random bytes (128 bits), and an
 * id in a URL is used only if it is long enough to be one (an older, shorter id starts a
 * new cart rather than a guessable one).
 */
import { capabilityIdProblem } from '@ringstore/core'

/** Letters, digits, `-` and `_`, at most 64: safe in a URL, a store key and the UI. */
const CART_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Random bytes of a new id: 128 bits, 22 base64url characters. */
const NEW_ID_BYTES = 16

export function newCartId (): string {
  const bytes = crypto.getRandomValues(new Uint8Array(NEW_ID_BYTES))
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function isCartId (id: string): boolean {
  return CART_ID.test(id) && capabilityIdProblem(id) === undefined
}

/** The cart id the URL names, if valid. */
export function cartIdFromUrl (url: URL): string | null {
  const fromQuery = url.searchParams.get('cart')
  if (fromQuery !== null && isCartId(fromQuery)) return fromQuery
  const fromHash = url.hash.replace(/^#/, '')
  if (isCartId(fromHash)) return fromHash
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

/** The store key of a cart: a capability key, so that tabs (clients) may write it. */
export function cartKey (id: string): string {
  return `cap/${id}/cart`
}
