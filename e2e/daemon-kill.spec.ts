/**
 * Scenario 4 (e2e/README.md): a daemon is SIGKILLed while two tabs write. The tabs keep
 * accepting writes (the cart runs W=1, hints for the dead replica); the daemon restarts on
 * its data dir; every tab and every daemon, the restarted one included, ends with every
 * item either tab added. This test runs its own 3 daemons (it kills one).
 */
import { test, expect } from '@playwright/test'
import { DaemonSet } from './daemons.js'
import type { RunningDaemon } from './daemons.js'
import { closeTabs, CONVERGE_MS, daemonItems, openTab, startWriting, stopWriting, tabItems, uniqueCartId, waitForMembers, writesGoOn, written, writtenItems } from './support.js'
import type { Items, Tab } from './support.js'

test('a daemon SIGKILLed during writes: tabs keep writing; after its restart everything converges', async ({ browser }) => {
  const set = new DaemonSet()
  const tabs: Tab[] = []
  try {
    const [k1, k2, k3] = await set.cluster('k', 3) as [RunningDaemon, RunningDaemon, RunningDaemon]
    const infos = [k1.info, k2.info, k3.info]
    const cartId = uniqueCartId('kill')
    const a = await openTab(browser, k1.info, cartId)
    const b = await openTab(browser, k2.info, cartId)
    tabs.push(a, b)
    for (const tab of tabs) await waitForMembers(tab, infos)

    await startWriting(a.page, 'a')
    await startWriting(b.page, 'b')
    await expect.poll(async () => Math.min(await written(a.page), await written(b.page))).toBeGreaterThanOrEqual(3)
    await set.kill(k3, 'SIGKILL')
    // Writes go on with a replica gone (W=1 locally, hints for the dead one).
    await Promise.all([writesGoOn(a.page, 5), writesGoOn(b.page, 5)])
    const expected: Items = { ...writtenItems('a', await stopWriting(a.page)), ...writtenItems('b', await stopWriting(b.page)) }
    for (const tab of tabs) await expect.poll(async () => await tabItems(tab.page), { timeout: CONVERGE_MS }).toEqual(expected)

    const again = await set.start('k3', [k1.info])
    expect(again.info.peerId).toBe(k3.info.peerId)
    for (const daemon of [k1.info, k2.info, again.info]) {
      await expect.poll(async () => await daemonItems(daemon, cartId), { timeout: CONVERGE_MS, message: `${daemon.name} holds every write` }).toEqual(expected)
    }
    for (const tab of tabs) expect(await tabItems(tab.page)).toEqual(expected)
  } finally {
    await closeTabs(tabs)
    await set.stopAll()
  }
})
