/**
 * Scenario 1 (e2e/README.md): offline writes. A tab that knows the cluster goes offline (the
 * app's libp2p fault plus the browser's own offline switch), makes 10 cart changes and is
 * reloaded while still offline: the demo's service worker (Workbox, vite-plugin-pwa) serves
 * the shop, and the cart comes back from its IndexedDB, with its hints. Back online, the
 * hints reach all three daemons (read over HTTP) and another tab.
 */
import { test, expect } from '@playwright/test'
import { add, closeTabs, CONVERGE_MS, daemonItems, goOffline, openTab, pendingHints, remove, setQty, sharedDaemons, tabItems, uniqueCartId, waitForMembers } from './support.js'
import type { Tab } from './support.js'

test('offline changes survive a reload from IndexedDB and reach the daemons and another tab', async ({ browser }) => {
  const daemons = sharedDaemons()
  const cartId = uniqueCartId('offline')
  const tabs: Tab[] = []
  try {
    const a = await openTab(browser, daemons[0]!, cartId)
    tabs.push(a)
    // The tab has been online long enough to know the cluster: its hints name the replicas.
    await waitForMembers(a, daemons)
    // And its service worker has taken the page over, with the shop's files cached.
    expect(await a.page.evaluate(async () => {
      await navigator.serviceWorker.ready
      for (let i = 0; i < 100 && navigator.serviceWorker.controller === null; i++) await new Promise((resolve) => setTimeout(resolve, 50))
      return navigator.serviceWorker.controller !== null
    })).toBe(true)
    await goOffline(a)
    await expect.poll(async () => await a.page.evaluate(() => window.ringstore.peer?.status().online)).toBe(false)

    // 10 changes: adds, quantity changes and removes.
    await add(a.page, 'teapot')
    await add(a.page, 'mug', 2)
    await add(a.page, 'kettle')
    await setQty(a.page, 'mug', 4)
    await add(a.page, 'candle')
    await remove(a.page, 'kettle')
    await add(a.page, 'bowls', 3)
    await setQty(a.page, 'teapot', 2)
    await add(a.page, 'apron')
    await remove(a.page, 'candle')
    const expected = { teapot: 2, mug: 4, bowls: 3, apron: 1 }
    expect(await tabItems(a.page)).toEqual(expected)
    expect(await pendingHints(a.page)).toBeGreaterThan(0)

    // A reload with the network down: only the service worker can serve the page now.
    await a.page.reload()
    expect(await a.page.evaluate(async () => { await window.ringstore.ready; return window.ringstore.peer?.id })).toBe(a.peerId)
    expect(await tabItems(a.page)).toEqual(expected)
    expect(await pendingHints(a.page)).toBeGreaterThan(0)
    await expect(a.page.locator('#header-count')).toHaveText('10')

    // Back online. The page started offline without the cluster's addresses (/bootstrap
    // failed), so it reloads, as the demo's offline banner tells a shopper to; the hints
    // are still only in IndexedDB.
    await a.context.setOffline(false)
    await a.page.reload()
    expect(await a.page.evaluate(async () => { await window.ringstore.ready; return window.ringstore.peer?.id })).toBe(a.peerId)
    await expect.poll(async () => await pendingHints(a.page), { timeout: CONVERGE_MS }).toBe(0)
    for (const daemon of daemons) {
      await expect.poll(async () => await daemonItems(daemon, cartId), { timeout: CONVERGE_MS, message: `${daemon.name} holds the offline changes` }).toEqual(expected)
    }

    const b = await openTab(browser, daemons[1]!, cartId)
    tabs.push(b)
    await expect.poll(async () => await tabItems(b.page), { timeout: CONVERGE_MS }).toEqual(expected)
  } finally {
    await closeTabs(tabs)
  }
})
