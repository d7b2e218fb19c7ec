/**
 * Scenario 2 (e2e/README.md): a partition {tab A} | {tabs B, C, the 3 daemons}. Both sides edit
 * the same cart (adds, removes, quantity changes, some on the same items); after the heal
 * every tab and every daemon holds the same cart, equal to what the demo's merge function
 * predicts from the two sides' carts; no acknowledged add is lost and no removed item
 * comes back.
 */
import { test, expect } from '@playwright/test'
import { mergeCarts } from '../demo/src/cart-model.js'
import { add, closeTabs, CONVERGE_MS, daemonItems, goOffline, goOnline, itemsOf, openTab, remove, setQty, sharedDaemons, tabCart, tabItems, uniqueCartId, waitForMembers, waitOnline } from './support.js'
import type { Tab } from './support.js'

test('a partitioned tab and the rest edit one cart; after the heal all agree with the merge rule', async ({ browser }) => {
  const daemons = sharedDaemons()
  const cartId = uniqueCartId('partition')
  const tabs: Tab[] = []
  try {
    // One tab per daemon's page: they find the cluster through different daemons.
    for (const daemon of daemons) tabs.push(await openTab(browser, daemon, cartId))
    const [a, b, c] = tabs as [Tab, Tab, Tab]
    for (const tab of tabs) await waitForMembers(tab, daemons)

    // A common starting cart, seen by everybody.
    await add(b.page, 'teapot')
    await add(b.page, 'mug', 2)
    await add(c.page, 'bowls')
    await add(c.page, 'apron')
    const start = { teapot: 1, mug: 2, bowls: 1, apron: 1 }
    for (const tab of tabs) await expect.poll(async () => await tabItems(tab.page), { timeout: CONVERGE_MS }).toEqual(start)

    await goOffline(a)
    await expect.poll(async () => await a.page.evaluate(() => window.ringstore.peer?.status().online)).toBe(false)

    // Side A (alone): an add, a remove, a quantity change on an item the other side also changes.
    await add(a.page, 'kettle')
    await remove(a.page, 'mug')
    await setQty(a.page, 'teapot', 5)
    await remove(a.page, 'apron')
    // Side B+C: adds, a remove, quantity changes (one on the item A removed).
    await add(b.page, 'candle', 2)
    await setQty(b.page, 'mug', 3)
    await setQty(c.page, 'teapot', 3)
    await remove(c.page, 'bowls')
    await add(c.page, 'plant')

    // Each side settles on its own cart; A sees nothing of the other side.
    const sideA = { teapot: 5, bowls: 1, kettle: 1 }
    const sideBC = { teapot: 3, mug: 3, apron: 1, candle: 2, plant: 1 }
    expect(await tabItems(a.page)).toEqual(sideA)
    for (const tab of [b, c]) await expect.poll(async () => await tabItems(tab.page), { timeout: CONVERGE_MS }).toEqual(sideBC)
    expect(await tabItems(a.page)).toEqual(sideA)

    // What the merge rule predicts from the two sides' actual carts.
    const predicted = itemsOf(mergeCarts(await tabCart(a.page), await tabCart(b.page)))
    // The same by the README's table: concurrent adds kept (kettle, candle, plant); a remove
    // of an item the other side left alone sticks (bowls, apron); a remove concurrent with
    // a quantity change keeps the change (mug ×3); two quantities: the larger (teapot ×5).
    expect(predicted).toEqual({ teapot: 5, mug: 3, kettle: 1, candle: 2, plant: 1 })

    await goOnline(a)
    await waitOnline(a)
    for (const tab of tabs) {
      await expect.poll(async () => await tabItems(tab.page), { timeout: CONVERGE_MS, message: 'every tab shows the merged cart' }).toEqual(predicted)
    }
    for (const daemon of daemons) {
      await expect.poll(async () => await daemonItems(daemon, cartId), { timeout: CONVERGE_MS, message: `${daemon.name} holds the merged cart` }).toEqual(predicted)
    }
    // Still merged (nothing resurrected by a late sync) once the hints are all delivered.
    await expect.poll(async () => await a.page.evaluate(() => window.ringstore.peer?.status().hintsPending), { timeout: CONVERGE_MS }).toBe(0)
    for (const tab of tabs) expect(await tabItems(tab.page)).toEqual(predicted)
  } finally {
    await closeTabs(tabs)
  }
})
