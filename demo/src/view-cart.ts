/**
 * The cart panel: line items with quantity steppers and remove, totals, the cart's share
 * link and whether the latest change is saved and synced.
 */
import { MAX_QUANTITY, cartLines } from './cart-model.js'
import type { CartLine, CartState } from './cart-model.js'
import { PRODUCTS, formatPrice, productById, productName } from './catalogue.js'
import { el, trustedMarkup } from './dom.js'

export interface CartActions {
  setQuantity(item: string, quantity: number): void
  remove(item: string): void
}

export interface CartPanelState {
  readonly cart: CartState
  readonly cartId: string
  readonly unsaved: boolean
  readonly hintsPending: number
  readonly online: boolean
}

/** Free shipping from this subtotal (cents); below it a flat fee. Shop policy, for realism. */
const FREE_SHIPPING_FROM = 5000
const SHIPPING_FEE = 490

function lineView (line: CartLine, actions: CartActions): HTMLElement {
  const product = productById(line.item)
  const unit = product?.priceCents ?? 0
  const thumb = el('div', { class: 'line-thumb', style: `background:${product?.tint ?? '#eee'}` }, product === undefined ? '?' : trustedMarkup(product.art))
  return el('li', { class: 'line', 'data-line': line.item },
    thumb,
    el('div', { class: 'line-info' },
      el('div', { class: 'line-name' }, productName(line.item)),
      el('div', { class: 'line-unit' }, product === undefined ? 'not in this catalogue' : `${formatPrice(unit)} each`),
      el('div', { class: 'stepper' },
        el('button', { type: 'button', class: 'step', 'aria-label': 'one less', 'data-dec': line.item, onclick: () => { actions.setQuantity(line.item, line.quantity - 1) } }, '−'),
        el('span', { class: 'qty', 'data-qty': line.item }, line.quantity),
        el('button', { type: 'button', class: 'step', 'aria-label': 'one more', 'data-inc': line.item, disabled: line.quantity >= MAX_QUANTITY, onclick: () => { actions.setQuantity(line.item, line.quantity + 1) } }, '+'))),
    el('div', { class: 'line-side' },
      el('div', { class: 'line-total' }, formatPrice(unit * line.quantity)),
      el('button', { type: 'button', class: 'link remove', 'data-remove': line.item, onclick: () => { actions.remove(line.item) } }, 'Remove')))
}

function saveState (s: CartPanelState): HTMLElement {
  if (s.unsaved) return el('div', { class: 'save-state saving' }, 'Saving…')
  if (s.hintsPending > 0 || !s.online) {
    return el('div', { class: 'save-state local' }, 'Saved in this browser', el('small', {}, s.online ? ' · syncing to the replicas' : ' · will sync when back online'))
  }
  return el('div', { class: 'save-state synced' }, 'Saved and synced')
}

function totals (lines: readonly CartLine[]): HTMLElement {
  const subtotal = lines.reduce((sum, l) => sum + (productById(l.item)?.priceCents ?? 0) * l.quantity, 0)
  const shipping = subtotal === 0 || subtotal >= FREE_SHIPPING_FROM ? 0 : SHIPPING_FEE
  return el('dl', { class: 'totals' },
    el('dt', {}, 'Subtotal'), el('dd', {}, formatPrice(subtotal)),
    el('dt', {}, 'Shipping'), el('dd', {}, shipping === 0 ? (subtotal === 0 ? '—' : 'Free') : formatPrice(shipping)),
    el('dt', { class: 'grand' }, 'Total'), el('dd', { class: 'grand', 'data-total': subtotal + shipping }, formatPrice(subtotal + shipping)))
}

/** Catalogue order (unknown items last): lines keep their place as quantities change. */
const ORDER = new Map(PRODUCTS.map((p, i) => [p.id, i]))
function byCatalogue (a: CartLine, b: CartLine): number {
  return (ORDER.get(a.item) ?? ORDER.size) - (ORDER.get(b.item) ?? ORDER.size)
}

export function renderCart (s: CartPanelState, actions: CartActions): DocumentFragment {
  const lines = cartLines(s.cart).sort(byCatalogue)
  const count = lines.reduce((n, l) => n + l.quantity, 0)
  const body = lines.length === 0
    ? el('div', { class: 'cart-empty' }, el('p', {}, 'Your cart is empty.'), el('p', { class: 'muted' }, 'Add something from the shop — it works offline too.'))
    : el('ul', { class: 'lines' }, ...lines.map((line) => lineView(line, actions)))
  const panel = document.createDocumentFragment()
  panel.append(
    el('div', { class: 'cart-head' },
      el('h2', {}, 'Your cart'),
      el('span', { class: 'cart-count', 'data-count': count }, `${count} ${count === 1 ? 'item' : 'items'}`)),
    el('div', { class: 'cart-id' },
      el('span', {}, 'Cart ', el('code', {}, s.cartId)),
      el('a', { href: window.location.href, target: '_blank', rel: 'noopener', class: 'link', title: 'The link is the key to this cart: whoever has it can see and change the cart, nobody else can find it.' }, 'Share link ↗')),
    body,
    totals(lines),
    saveState(s),
    el('button', { type: 'button', class: 'btn btn-primary btn-block', disabled: lines.length === 0, title: 'This is a demo shop: nothing is for sale.' }, 'Checkout'))
  return panel
}
