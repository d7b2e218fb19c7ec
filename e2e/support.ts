/**
 * Shared pieces of the end-to-end specs: the shared daemons from the global setup, tabs
 * (each in its own browser context: its own peer, its own IndexedDB, its own offline
 * switch), the cart as a tab and as a daemon see it, and the demo's own cart model for
 * computing what the merge rule predicts.
 */
import { expect } from '@playwright/test'
import type { Browser, BrowserContext, Page } from '@playwright/test'
import { cartLines, mergeAllCarts, quantityOf } from '../demo/src/cart-model.js'
import type { CartState } from '../demo/src/cart-model.js'
import { decodeCart } from '../demo/src/cart-codec.js'
import type { DaemonInfo } from './daemons.js'
import { DAEMONS_ENV } from './global-setup.js'

export type Items = Record<string, number>

/** Convergence over real libp2p between tabs and daemons: seconds here, this on a loaded CI box. */
export const CONVERGE_MS = 45_000

export function sharedDaemons (): DaemonInfo[] {
  const raw = process.env[DAEMONS_ENV]
  if (raw === undefined) throw new Error(`${DAEMONS_ENV} is not set: run through playwright.config.ts (its global setup starts the daemons)`)
  return JSON.parse(raw) as DaemonInfo[]
}

let carts = 0
/** A cart id no other test (or earlier run against the same daemons) uses. */
/** A cart id unique within and across runs, long enough to be a capability id (22+ characters; core's key-rights.ts). */
export function uniqueCartId (label: string): string {
  return `${label}-${Date.now().toString(36)}-${(carts++).toString(36)}`.padEnd(24, '0')
}

/** The store key of a cart (demo/src/cart-id.ts). */
export function cartKeyOf (cartId: string): string {
  return `cap/${cartId}/cart`
}

export interface Tab {
  readonly context: BrowserContext
  readonly page: Page
  readonly url: string
  /** This tab's peer id. */
  readonly peerId: string
}

/** Opens the demo served by `daemon` for `cartId` (plus `query`, e.g. `&weight=1`) in a fresh context and waits for `window.ringstore.ready`. */
export async function openTab (browser: Browser, daemon: DaemonInfo, cartId: string, query = ''): Promise<Tab> {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.on('pageerror', (error) => { console.error(`[tab ${cartId}] page error: ${error.message}`) })
  const url = `${daemon.http}/?cart=${encodeURIComponent(cartId)}${query}`
  await page.goto(url)
  const peerId = await page.evaluate(async () => { await window.ringstore.ready; return window.ringstore.peer?.id ?? '' })
  expect(peerId).not.toBe('')
  return { context, page, url, peerId }
}

/** Opens the demo for `cartId` in another page of `tab`'s browser context: another tab of the same browser (its own peer). */
export async function openSiblingTab (tab: Tab, daemon: DaemonInfo, cartId: string): Promise<Tab> {
  const page = await tab.context.newPage()
  page.on('pageerror', (error) => { console.error(`[tab ${cartId}] page error: ${error.message}`) })
  const url = `${daemon.http}/?cart=${encodeURIComponent(cartId)}`
  await page.goto(url)
  const peerId = await page.evaluate(async () => { await window.ringstore.ready; return window.ringstore.peer?.id ?? '' })
  expect(peerId).not.toBe('')
  expect(peerId).not.toBe(tab.peerId)
  return { context: tab.context, page, url, peerId }
}

/**
 * Makes `tab` a full peer (weight 1) as an operator would: `admit` issues a certificate
 * for the tab's id (`ringstore admit` with the cluster's secret, which the page never
 * sees), and the tab reloads with `&weight=1&admission=<certificate>`, as the same peer.
 */
export async function admitTab (tab: Tab, admit: (peerId: string) => Promise<string>): Promise<Tab> {
  const url = `${tab.url}&weight=1&admission=${await admit(tab.peerId)}`
  await tab.page.goto(url)
  const peerId = await tab.page.evaluate(async () => { await window.ringstore.ready; return window.ringstore.peer?.id ?? '' })
  expect(peerId).toBe(tab.peerId)
  expect(await tab.page.evaluate(() => {
    const status = window.ringstore.peer?.status()
    return status?.members.find((m) => m.id === status.peerId)?.weight
  })).toBe(1)
  return { ...tab, url }
}

export async function closeTabs (tabs: readonly Tab[]): Promise<void> {
  await Promise.all(tabs.map(async (t) => { await t.context.close() }))
}

/** The cart as the tab holds it after a fresh sync. */
export async function tabItems (page: Page): Promise<Items> {
  return await page.evaluate(async () => (await window.ringstore.cart.read()).items)
}

export async function add (page: Page, item: string, count = 1): Promise<void> {
  await page.evaluate(async ([i, c]) => { await window.ringstore.cart.add(i, c) }, [item, count] as const)
}
export async function remove (page: Page, item: string): Promise<void> {
  await page.evaluate(async (i) => { await window.ringstore.cart.remove(i) }, item)
}
export async function setQty (page: Page, item: string, quantity: number): Promise<void> {
  await page.evaluate(async ([i, q]) => { await window.ringstore.cart.setQuantity(i, q) }, [item, quantity] as const)
}

/** App-level fault (cuts libp2p: WebSockets and WebRTC) plus the browser's own offline switch. */
export async function goOffline (tab: Tab): Promise<void> {
  await tab.page.evaluate(async () => { await window.ringstore.faults?.goOffline() })
  await tab.context.setOffline(true)
}
export async function goOnline (tab: Tab): Promise<void> {
  await tab.context.setOffline(false)
  await tab.page.evaluate(async () => { await window.ringstore.faults?.goOnline() })
}

export async function pendingHints (page: Page): Promise<number> {
  return await page.evaluate(() => window.ringstore.peer?.status().hintsPending ?? -1)
}

export function itemsOf (cart: CartState): Items {
  const items: Items = {}
  for (const line of cartLines(cart)) items[line.item] = quantityOf(cart, line.item)
  return items
}

/** The cart as one daemon reads it over HTTP (R=1: that daemon's own replica), siblings merged. null: absent/unreadable. */
export async function daemonCart (daemon: DaemonInfo, cartId: string, r = 1): Promise<CartState | null> {
  const response = await fetch(`${daemon.http}/kv/${encodeURIComponent(cartKeyOf(cartId))}?r=${r}`, { headers: { Authorization: `Bearer ${daemon.token}` } })
  if (response.status === 200) return decodeCart(new Uint8Array(await response.arrayBuffer()))
  if (response.status === 300) {
    const body = await response.json() as { siblings: Array<{ value: string }> }
    return mergeAllCarts(body.siblings.map((s) => decodeCart(new Uint8Array(Buffer.from(s.value, 'base64')))))
  }
  await response.body?.cancel()
  return null
}

export async function daemonItems (daemon: DaemonInfo, cartId: string, r = 1): Promise<Items | null> {
  const cart = await daemonCart(daemon, cartId, r)
  return cart === null ? null : itemsOf(cart)
}

/** Waits until the tab's membership lists every daemon as active and reachable. */
export async function waitForMembers (tab: Tab, daemons: readonly DaemonInfo[]): Promise<void> {
  const ids = daemons.map((d) => d.peerId)
  await expect.poll(async () => await tab.page.evaluate((want) => {
    const members = window.ringstore.peer?.status().members ?? []
    return want.every((id) => members.some((m) => m.id === id && m.status === 'active' && m.reachable))
  }, ids), { timeout: CONVERGE_MS, message: 'the tab knows every daemon' }).toBe(true)
}

/** The tab's in-memory cart (after a fresh sync), in the store's JSON form, decoded with the demo's codec. */
export async function tabCart (page: Page): Promise<CartState> {
  const json = await page.evaluate(async () => {
    await window.ringstore.cart.read()
    const cart = window.ringstore.sync?.cart
    if (cart === undefined) throw new Error('the tab has no cart')
    const items = [...cart.items].map(([item, tags]) => [item, tags.map((t) => [t.writer, t.seq, t.quantity])])
    return JSON.stringify({ v: 1, ctx: cart.context, items })
  })
  return decodeCart(new TextEncoder().encode(json))
}

/** Heals `goOffline`: the browser's switch first, then the app fault (which redials the daemons). */
export async function waitOnline (tab: Tab): Promise<void> {
  await expect.poll(async () => await tab.page.evaluate(() => window.ringstore.peer?.status().online), { timeout: CONVERGE_MS, message: 'the tab is online' }).toBe(true)
}

interface Writer { __written: number, __stop: boolean, __writing: Promise<void> }

/** Pause between a writer's changes: a steady stream (~15/s) rather than a burst done before the fault lands. */
const WRITE_PACE_MS = 60
/** A writer never adds more than this (the cart decoder caps a cart at 500 items). */
const MAX_WRITES = 200

/**
 * Starts adding `<prefix>-0`, `<prefix>-1`, … in the page, one after another, until
 * `stopWriting`; `written` counts the acknowledged ones.
 */
export async function startWriting (page: Page, prefix: string): Promise<void> {
  await page.evaluate(([p, pace, max]) => {
    const w = window as unknown as Writer
    w.__written = 0
    w.__stop = false
    w.__writing = (async () => {
      for (let i = 0; i < max && !w.__stop; i++) {
        await window.ringstore.cart.add(`${p}-${i}`)
        w.__written++
        await new Promise((resolve) => setTimeout(resolve, pace))
      }
    })()
  }, [prefix, WRITE_PACE_MS, MAX_WRITES] as const)
}
export async function written (page: Page): Promise<number> {
  return await page.evaluate(() => (window as unknown as Writer).__written)
}
/** Waits until the page acknowledged `more` writes beyond what it had when called. */
export async function writesGoOn (page: Page, more: number): Promise<void> {
  const now = await written(page)
  await expect.poll(async () => await written(page), { timeout: CONVERGE_MS, message: 'the tab keeps accepting writes' }).toBeGreaterThanOrEqual(now + more)
}
/** Stops the page's writer; resolves with how many writes it made (rejects with a failed one). */
export async function stopWriting (page: Page): Promise<number> {
  return await page.evaluate(async () => {
    const w = window as unknown as Writer
    w.__stop = true
    await w.__writing
    return w.__written
  })
}
/** The items `count` writes of `prefix` made. */
export function writtenItems (prefix: string, count: number): Items {
  const items: Items = {}
  for (let i = 0; i < count; i++) items[`${prefix}-${i}`] = 1
  return items
}
