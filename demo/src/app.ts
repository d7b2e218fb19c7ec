/**
 * The demo app: finds the cluster, starts this tab's browser peer (a light peer, weight 0),
 * keeps the cart in step with the store and renders shop, cart and status. Also exposes
 * `window.ringstore` for the end-to-end tests:
 *   { peer, faults, cart: { add, remove, setQuantity, read }, ready }
 */
import type { Ring } from '@ringstore/core'
import { addItem, cartLines, quantityOf, removeItem, setQuantity } from './cart-model.js'
import type { MergeRecord } from './conflicts.js'
import { CartSync } from './cart-sync.js'
import { cartKey, newCartId } from './cart-id.js'
import type { SignedAdmission } from '@ringstore/core'
import { admissionFromUrl } from './admission-param.js'
import { discoverBootstrap, weightFromUrl } from './bootstrap.js'
import type { Bootstrap, ClusterSettings } from './bootstrap.js'
import { el } from './dom.js'
import type { DemoFaults, DemoPeer, DemoStatus } from './peer-types.js'
import { renderCart } from './view-cart.js'
import { renderRing } from './view-ring.js'
import { mountShop } from './view-shop.js'
import type { ShopView } from './view-shop.js'
import { connectionSignature, peersSignature, statusCards } from './view-status.js'
import type { StatusState } from './view-status.js'
import { cartToJson } from './cart-codec.js'

export interface PeerFactoryOptions {
  readonly bootstrap: string[]
  readonly weight: number
  readonly cluster?: string
  /** q, n, r, w and the cluster id, from the daemon. */
  readonly config?: ClusterSettings
  /** `?admission=`: this tab's certificate, for a full peer. */
  readonly admission?: SignedAdmission
}
export type PeerFactory = (options: PeerFactoryOptions) => Promise<DemoPeer>

/** The cluster default N when the engine does not say (DEFAULT_CONFIG.n). */
const DEFAULT_N = 3

export interface CartApi {
  add(item: string, count?: number): Promise<void>
  remove(item: string): Promise<void>
  setQuantity(item: string, quantity: number): Promise<void>
  read(): Promise<{ items: Record<string, number>, merges: readonly MergeRecord[], unsaved: boolean }>
}

export interface RingstoreHandle {
  readonly peer: DemoPeer | null
  readonly faults: DemoFaults | null
  readonly cart: CartApi
  readonly ready: Promise<void>
  readonly sync: CartSync | null
  /** Versions of the cart the members pushed to this tab (live updates), for the tests. */
  readonly liveUpdates: number
}

function byId (id: string): HTMLElement {
  const node = document.getElementById(id)
  if (node === null) throw new Error(`index.html lacks #${id}`)
  return node
}

export class DemoApp {
  readonly cartId: string
  readonly key: string
  peer: DemoPeer | null = null
  sync: CartSync | null = null
  bootstrap: Bootstrap = { addrs: [], source: 'none' }
  problem: string | null = null
  liveUpdates = 0
  readonly ready: Promise<void>
  readonly #shop: ShopView
  #renderQueued = false
  /** Per container, what it shows now: redrawn only when this changes. */
  readonly #drawn = new Map<string, unknown>()

  constructor (cartId: string, factory: PeerFactory) {
    this.cartId = cartId
    this.key = cartKey(cartId)
    this.#shop = mountShop(byId('products'), (item) => { void this.cart.add(item) })
    this.render()
    this.ready = this.#start(factory)
  }

  async #start (factory: PeerFactory): Promise<void> {
    this.bootstrap = await discoverBootstrap(new URL(window.location.href))
    this.problem = this.bootstrap.problem === undefined ? null : `No ringstore daemon reachable (${this.bootstrap.problem}). Your cart is kept in this browser; reload once a daemon runs to sync it.`
    let sync: CartSync
    try {
      const { cluster, config } = this.bootstrap
      const url = new URL(window.location.href)
      const admission = admissionFromUrl(url)
      const peer = await factory({
        bootstrap: this.bootstrap.addrs,
        weight: weightFromUrl(url),
        ...(cluster === undefined ? {} : { cluster }),
        ...(config === undefined ? {} : { config }),
        ...(admission === undefined ? {} : { admission })
      })
      this.peer = peer
      sync = new CartSync(peer, this.key, peer.id, () => { this.render() })
      // Hints delivered, peers found, back online: redraw, and read again (siblings may wait).
      peer.onChange(() => { this.render(); void sync.sync() })
      // Another tab or device changed the cart: the members push the new version into this
      // tab's replica (live updates), so a local read shows it. No timer polls the cluster.
      peer.watch?.(this.key, () => {
        this.liveUpdates++
        void sync.sync({ local: true })
      })
    } catch (error) {
      // No peer at all (IndexedDB refused, …): the cart still works, in this page's memory.
      this.problem = `Could not start the browser peer (${error instanceof Error ? error.message : String(error)}). The cart works in this page only.`
      sync = new CartSync(null, this.key, `page-${newCartId()}`, () => { this.render() })
    }
    this.sync = sync
    await sync.sync()
    document.body.classList.add('is-ready')
    this.render()
  }

  readonly cart: CartApi = {
    add: async (item, count = 1) => { await this.ready; await this.sync?.change((c, w) => addItem(c, w, item, count)) },
    remove: async (item) => { await this.ready; await this.sync?.change((c) => removeItem(c, item)) },
    setQuantity: async (item, quantity) => { await this.ready; await this.sync?.change((c, w) => setQuantity(c, w, item, quantity)) },
    read: async () => {
      await this.ready
      await this.sync?.sync()
      const cart = this.sync?.cart
      const items: Record<string, number> = {}
      if (cart !== undefined) for (const line of cartLines(cart)) items[line.item] = quantityOf(cart, line.item)
      return { items, merges: this.sync?.merges ?? [], unsaved: this.sync?.unsaved ?? false }
    }
  }

  async toggleOnline (): Promise<void> {
    const peer = this.peer
    if (peer === null) return
    if (peer.status().online) await peer.faults.goOffline()
    else await peer.faults.goOnline()
    this.render()
    void this.sync?.sync()
  }

  async toggleBlock (member: string): Promise<void> {
    const peer = this.peer
    if (peer === null) return
    if (peer.status().blocked.includes(member)) await peer.faults.unblock(member)
    else await peer.faults.block(member)
    this.render()
  }

  /** Coalesces redraws into one per frame. */
  render (): void {
    if (this.#renderQueued) return
    this.#renderQueued = true
    requestAnimationFrame(() => {
      this.#renderQueued = false
      this.#draw()
    })
  }

  #status (): DemoStatus | null {
    try {
      return this.peer?.status() ?? null
    } catch {
      return null // a stopping peer
    }
  }

  /** Replaces a container's content only when its signature changed: a redraw under the
   * pointer would swallow the click in progress. */
  #drawIfChanged (id: string, signature: unknown, draw: () => Node): void {
    if (this.#drawn.has(id) && this.#drawn.get(id) === signature) return
    this.#drawn.set(id, signature)
    byId(id).replaceChildren(draw())
  }

  #draw (): void {
    const sync = this.sync
    const status = this.#status()
    const cart = sync?.cart
    if (cart !== undefined) this.#shop.update(cart)
    this.#drawIfChanged('banner', this.problem, () => this.problem === null ? document.createDocumentFragment() : el('div', { class: 'banner', role: 'status' }, this.problem))
    const count = cart === undefined ? 0 : cartLines(cart).reduce((n, l) => n + l.quantity, 0)
    byId('header-count').textContent = String(count)
    if (cart !== undefined && sync !== null) {
      const panel = { cart, cartId: this.cartId, unsaved: sync.unsaved, hintsPending: status?.hintsPending ?? 0, online: status?.online ?? false }
      const signature = JSON.stringify([cartToJson(cart), panel.unsaved, panel.hintsPending > 0, panel.online])
      this.#drawIfChanged('cart', signature, () => renderCart(panel, {
        setQuantity: (item, quantity) => { void this.cart.setQuantity(item, quantity) },
        remove: (item) => { void this.cart.remove(item) }
      }))
    }
    const state: StatusState = { status, problem: null, lastError: sync?.lastError ?? null, bootstrap: this.bootstrap.addrs }
    const actions = { toggleOnline: () => { void this.toggleOnline() }, toggleBlock: (member: string) => { void this.toggleBlock(member) } }
    this.#drawIfChanged('status-connection', connectionSignature(state), () => statusCards.connection(state, actions))
    this.#drawIfChanged('status-peers', peersSignature(state), () => statusCards.peers(state, actions))
    const merges = sync?.merges ?? []
    this.#drawIfChanged('status-conflicts', merges, () => statusCards.conflicts(state, merges))
    this.#drawRing(status)
  }

  #drawRing (status: DemoStatus | null): void {
    let ring: Ring | null
    try {
      ring = this.peer?.peer?.ring() ?? null
    } catch {
      ring = null // a stopping peer
    }
    const n = this.peer?.peer?.config?.n ?? this.bootstrap.config?.n ?? DEFAULT_N
    // The engine hands out the same Ring object until the membership changes.
    this.#drawIfChanged('status-ring', ring, () => renderRing({ ring, key: this.key, n, self: status?.peerId ?? '' }))
  }

  handle (): RingstoreHandle {
    // Getters: peer and faults exist only once `ready` resolved.
    const current = (): { peer: DemoPeer | null, sync: CartSync | null, liveUpdates: number } => ({ peer: this.peer, sync: this.sync, liveUpdates: this.liveUpdates })
    return {
      get liveUpdates () { return current().liveUpdates },
      get peer () { return current().peer },
      get faults () { return current().peer?.faults ?? null },
      get sync () { return current().sync },
      cart: this.cart,
      ready: this.ready
    }
  }
}
