/**
 * Scenario 5 (e2e/README.md): a 4th daemon joins while two tabs write. The ring is recomputed
 * (the newcomer owns partitions; the tabs see it), and nothing written before, during or
 * after the join is lost: quorum reads through every daemon, the new one included, and
 * both tabs return every item. This test runs its own daemons (it changes the ring).
 */
import { test, expect } from '@playwright/test'
import { DaemonSet } from './daemons.js'
import type { RunningDaemon } from './daemons.js'
import { closeTabs, CONVERGE_MS, daemonItems, openTab, startWriting, stopWriting, tabItems, uniqueCartId, waitForMembers, writesGoOn, written, writtenItems } from './support.js'
import type { Items, Tab } from './support.js'

test('a 4th daemon joins during writes: partitions move, nothing is lost', async ({ browser }) => {
  const set = new DaemonSet()
  const tabs: Tab[] = []
  try {
    const [r1, r2, r3] = await set.cluster('r', 3) as [RunningDaemon, RunningDaemon, RunningDaemon]
    const cartId = uniqueCartId('ring')
    const a = await openTab(browser, r1.info, cartId)
    const b = await openTab(browser, r2.info, cartId)
    tabs.push(a, b)
    for (const tab of tabs) await waitForMembers(tab, [r1.info, r2.info, r3.info])

    await startWriting(a.page, 'a')
    await startWriting(b.page, 'b')
    await expect.poll(async () => Math.min(await written(a.page), await written(b.page))).toBeGreaterThanOrEqual(3)
    const r4 = await set.start('r4', [r1.info])
    const all = [r1.info, r2.info, r3.info, r4.info]

    // The tabs see the new ring (r4 a member owning partitions) while they keep writing.
    for (const tab of tabs) {
      await waitForMembers(tab, all)
      await expect.poll(async () => await tab.page.evaluate((id) => window.ringstore.peer?.status().ring.members.find((m) => m.id === id)?.partitions ?? 0, r4.info.peerId), { timeout: CONVERGE_MS }).toBeGreaterThan(0)
    }
    await Promise.all([writesGoOn(a.page, 5), writesGoOn(b.page, 5)])
    const expected: Items = { ...writtenItems('a', await stopWriting(a.page)), ...writtenItems('b', await stopWriting(b.page)) }
    for (const tab of tabs) await expect.poll(async () => await tabItems(tab.page), { timeout: CONVERGE_MS }).toEqual(expected)
    // R=2 through each daemon: a quorum of the key's (new) preference list.
    for (const daemon of all) {
      await expect.poll(async () => await daemonItems(daemon, cartId, 2), { timeout: CONVERGE_MS, message: `a quorum read through ${daemon.name}` }).toEqual(expected)
    }
  } finally {
    await closeTabs(tabs)
    await set.stopAll()
  }
})
