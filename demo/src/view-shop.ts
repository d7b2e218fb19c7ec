/**
 * The catalogue: a grid of product cards with price and "Add to cart". Built once; only
 * the "in your cart" badges change as the cart does.
 */
import { quantityOf } from './cart-model.js'
import type { CartState } from './cart-model.js'
import { PRODUCTS, formatPrice } from './catalogue.js'
import type { Product } from './catalogue.js'
import { el, trustedMarkup } from './dom.js'

export interface ShopView {
  update(cart: CartState): void
}

function card (product: Product, onAdd: (id: string) => void, badge: HTMLElement): HTMLElement {
  const art = el('div', { class: 'product-art', style: `background:${product.tint}` }, trustedMarkup(product.art), badge)
  return el('article', { class: 'product', 'data-product': product.id },
    art,
    el('div', { class: 'product-body' },
      el('div', { class: 'product-category' }, product.category),
      el('h3', { class: 'product-name' }, product.name),
      el('p', { class: 'product-blurb' }, product.blurb),
      el('div', { class: 'product-buy' },
        el('span', { class: 'price' }, formatPrice(product.priceCents)),
        el('button', { class: 'btn btn-primary add-to-cart', type: 'button', 'data-add': product.id, onclick: () => { onAdd(product.id) } }, 'Add to cart'))))
}

export function mountShop (container: HTMLElement, onAdd: (id: string) => void): ShopView {
  const badges = new Map<string, HTMLElement>()
  const grid = el('div', { class: 'product-grid' })
  for (const product of PRODUCTS) {
    const badge = el('span', { class: 'in-cart', hidden: true })
    badges.set(product.id, badge)
    grid.append(card(product, onAdd, badge))
  }
  container.replaceChildren(grid)
  return {
    update (cart) {
      for (const [id, badge] of badges) {
        const quantity = quantityOf(cart, id)
        badge.hidden = quantity === 0
        badge.textContent = `${quantity} in cart`
      }
    }
  }
}
