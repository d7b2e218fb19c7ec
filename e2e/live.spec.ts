/**
 * Live updates (e2e/README.md, scenario 6): two "devices" (separate browser contexts, each
 * on its own daemon) show one cart. A change on one appears on the other without a reload
 * and without the page asking the cluster: the members push the new version to the
 * watching tab, which redraws from its own replica (window.ringstore.liveUpdates counts
 * those pushes; the page has no refresh timer). After one device was cut off and both
 * edited, the merged cart shows on both. Two tabs of one browser stay in step while it is
 * offline (a BroadcastChannel: @ringstore/browser's tab-channel.ts), then sync with the ring.
 */
import { test, expect } from '@playwright/test'
import type { Page } from '@playwright/test'
import { add, closeTabs, CONVERGE_MS, daemonItems, goOffline, goOnline, openSiblingTab, openTab, sharedDaemons, tabItems, uniqueCartId, waitForMembers, waitOnline } from './support.js'
import type { Tab } from './support.js'

/** The item count the page shows in its header: what the shopper sees, read without syncing. */
async function shownCount (page: Page): Promise<number> {
  return Number(await page.locator('#header-count').textContent())
}

async function liveUpdates (page: Page): Promise<number> {
  return await page.evaluate(() => window.ringstore.liveUpdates)
}

test('a change on one device shows on the other without a reload or a poll; after a partition the merge shows on both', async ({ browser }) => {
  const daemons = sharedDaemons()
  const cartId = uniqueCartId('live')
  const tabs: Tab[] = []
  try {
    tabs.push(await openTab(browser, daemons[0]!, cartId), await openTab(browser, daemons[1]!, cartId))
    const [a, b] = tabs as [Tab, Tab]
    for (const tab of tabs) await waitForMembers(tab, daemons)
    expect(await shownCount(b.page)).toBe(0)
    const pushedBefore = await liveUpdates(b.page)

    const started = Date.now()
    await add(a.page, 'teapot')
    await expect.poll(async () => await shownCount(b.page), { timeout: CONVERGE_MS, intervals: [20] }).toBe(1)
    console.log(`live update: shown on the other device ${Date.now() - started} ms after the add returned`)
    expect(await liveUpdates(b.page)).toBeGreaterThan(pushedBefore)

    // B is cut off; both edit; B comes back: both show the merge (teapot, mug, kettle).
    await goOffline(b)
    await add(a.page, 'mug')
    await add(b.page, 'kettle')
    await goOnline(b)
    await waitOnline(b)
    // Read through the app (a sync at the cluster's R, then the redraw): a push lost while
    // B was away would only come at B's next watch renewal (see README, "Live updates").
    for (const tab of tabs) await expect.poll(async () => await tabItems(tab.page), { timeout: CONVERGE_MS, message: 'the merged cart' }).toEqual({ teapot: 1, mug: 1, kettle: 1 })
    for (const tab of tabs) expect(await shownCount(tab.page)).toBe(3)
  } finally {
    await closeTabs(tabs)
  }
})

test('two tabs of one browser stay in step while it is offline, then sync with the ring', async ({ browser }) => {
  const daemons = sharedDaemons()
  const cartId = uniqueCartId('tabs')
  const tabs: Tab[] = []
  try {
    const a = await openTab(browser, daemons[0]!, cartId)
    tabs.push(a)
    const b = await openSiblingTab(a, daemons[0]!, cartId)
    for (const tab of [a, b]) await waitForMembers(tab, daemons)
    // The whole browser offline (both pages share the context), and each peer cut off.
    await goOffline(a)
    await b.page.evaluate(async () => { await window.ringstore.faults?.goOffline() })
    await add(a.page, 'teapot')
    await add(b.page, 'mug', 2)
    await expect.poll(async () => await shownCount(b.page), { timeout: CONVERGE_MS, message: 'B shows A\'s offline add' }).toBe(3)
    await expect.poll(async () => await shownCount(a.page), { timeout: CONVERGE_MS, message: 'A shows B\'s offline add' }).toBe(3)
    // Back online: each delivers its own writes; the ring holds both.
    await goOnline(a)
    await b.page.evaluate(async () => { await window.ringstore.faults?.goOnline() })
    await expect.poll(async () => await daemonItems(daemons[1]!, cartId), { timeout: CONVERGE_MS, message: 'the ring holds both tabs\' offline adds' }).toEqual({ teapot: 1, mug: 2 })
  } finally {
    await closeTabs(tabs)
  }
})
