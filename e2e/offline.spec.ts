/**
 * Scenario 1 (e2e/README.md): offline writes. A tab that knows the cluster goes offline (the
 * app's libp2p fault plus the browser's own offline switch), makes 10 cart changes and is
 * reloaded while still offline: the cart comes back from its IndexedDB, with its hints.
 * Back online, the hints reach all three daemons (read over HTTP) and another tab.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test, expect } from '@playwright/test'
import type { Route } from '@playwright/test'
import { add, closeTabs, CONVERGE_MS, daemonItems, goOffline, openTab, pendingHints, remove, setQty, sharedDaemons, tabItems, uniqueCartId, waitForMembers } from './support.js'
import type { Tab } from './support.js'

const DIST = fileURLToPath(new URL('../demo/dist', import.meta.url))

/**
 * The page itself while offline: the demo has no service worker, so a reload with the
 * network down only works from a cache. This handler is that cache (the built files);
 * /bootstrap fails as it would offline. What is under test is the peer's IndexedDB.
 */
async function fromCache (route: Route): Promise<void> {
  const path = new URL(route.request().url()).pathname
  if (path === '/bootstrap') return await route.abort('internetdisconnected')
  await route.fulfill({ path: join(DIST, path === '/' ? 'index.html' : path.slice(1)) })
}

test('offline changes survive a reload from IndexedDB and reach the daemons and another tab', async ({ browser }) => {
  const daemons = sharedDaemons()
  const cartId = uniqueCartId('offline')
  const tabs: Tab[] = []
  try {
    const a = await openTab(browser, daemons[0]!, cartId)
    tabs.push(a)
    // The tab has been online long enough to know the cluster: its hints name the replicas.
    await waitForMembers(a, daemons)
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

    await a.context.route('**/*', fromCache)
    await a.page.reload()
    expect(await a.page.evaluate(async () => { await window.ringstore.ready; return window.ringstore.peer?.id })).toBe(a.peerId)
    expect(await tabItems(a.page)).toEqual(expected)
    expect(await pendingHints(a.page)).toBeGreaterThan(0)
    await expect(a.page.locator('#header-count')).toHaveText('10')

    // Back online. A document Playwright served from a route handler cannot open
    // WebSockets afterwards (Chromium; checked), so the tab reloads from the daemon, as
    // the demo's offline banner tells a shopper to; the hints are still only in IndexedDB.
    await a.context.unrouteAll({ behavior: 'wait' })
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
