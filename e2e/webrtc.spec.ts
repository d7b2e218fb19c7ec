/**
 * Scenario 3 (e2e/README.md): tab to tab over WebRTC. The daemons only relay the signalling
 * (circuit relay) that sets up a WebRTC connection between two tabs; then both tabs block
 * every daemon, and the tabs keep syncing the cart over that connection alone. As in the
 * browser package's library test, tab B is a full peer (`?weight=1`): a light peer only
 * exchanges data with owners. The cluster is closed, so B is admitted first: its id, then
 * `ringstore admit` with the cluster's secret, then a reload with `&admission=…`. This
 * test runs its own daemons (B joins their ring).
 */
import { test, expect } from '@playwright/test'
import { buildRing, partitionOf, preferenceList, ringSummary } from '@ringstore/core'
import type { MemberRecord } from '@ringstore/core'
import { DaemonSet } from './daemons.js'
import type { RunningDaemon } from './daemons.js'
import { add, admitTab, cartKeyOf, closeTabs, CONVERGE_MS, daemonItems, openTab, remove, setQty, tabItems, uniqueCartId, waitForMembers } from './support.js'
import type { Tab } from './support.js'

/** A fresh cart id whose key's preference list (N=3, on the ring `tab` sees) includes `member`. */
async function cartReplicatedBy (tab: Tab, member: string): Promise<string> {
  await expect.poll(async () => await tab.page.evaluate((id) => window.ringstore.peer?.status().ring.members.some((m) => m.id === id && m.partitions > 0), member), { timeout: CONVERGE_MS, message: 'the full peer owns partitions' }).toBe(true)
  const latest = await tab.page.evaluate(() => window.ringstore.peer?.status())
  if (latest === undefined) throw new Error('the tab has no peer')
  const ring = buildRing(latest.members as unknown as MemberRecord[], latest.ring.q)
  // The ring rebuilt here is the one the tab uses (same owners, same partition counts).
  expect(ringSummary(ring).members.map((m) => [m.id, m.partitions]).sort()).toEqual(latest.ring.members.map((m) => [m.id, m.partitions]).sort())
  for (;;) {
    const id = uniqueCartId('webrtc')
    if (preferenceList(ring, partitionOf(cartKeyOf(id), ring.q), 3).includes(member)) return id
  }
}

async function connections (tab: Tab): Promise<Array<{ peer: string, transport: string }>> {
  return await tab.page.evaluate(() => (window.ringstore.peer?.status().connections ?? []).map((c) => ({ peer: c.peer, transport: c.transport })))
}

test('two tabs keep syncing a cart over WebRTC with every daemon blocked', async ({ browser }) => {
  const set = new DaemonSet()
  const tabs: Tab[] = []
  try {
    const cluster = await set.cluster('w', 3) as [RunningDaemon, RunningDaemon, RunningDaemon]
    const infos = cluster.map((d) => d.info)
    const light = await openTab(browser, infos[1]!, uniqueCartId('webrtc-join'))
    tabs.push(light)
    const b = await admitTab(light, async (peerId) => await set.admit(peerId))
    const a = await openTab(browser, infos[0]!, uniqueCartId('webrtc-join'))
    tabs.splice(0, tabs.length, a, b)
    for (const tab of tabs) await waitForMembers(tab, infos)
    // The demo writes at W=1: A's changes reach B directly only if B is one of the cart
    // key's N replicas (a quarter of keys have 3 daemons as replicas). Pick such a cart,
    // from the ring A computes, and open it in both tabs (same tabs, same peers).
    const cartId = await cartReplicatedBy(a, b.peerId)
    for (const tab of [b, a]) {
      await tab.page.goto(tab.url.replace(/cart=[^&]+/, `cart=${cartId}`))
      expect(await tab.page.evaluate(async () => { await window.ringstore.ready; return window.ringstore.peer?.id })).toBe(tab.peerId)
    }
    for (const tab of tabs) await waitForMembers(tab, infos)
    await expect.poll(async () => await a.page.evaluate((id) => window.ringstore.peer?.status().members.some((m) => m.id === id && m.reachable), b.peerId), { timeout: CONVERGE_MS, message: 'A knows B' }).toBe(true)
    await expect.poll(async () => await b.page.evaluate(() => (window.ringstore.peer as unknown as { libp2p?: { getMultiaddrs(): Array<{ toString(): string }> } } | null)?.libp2p?.getMultiaddrs().some((ma) => ma.toString().includes('/p2p-circuit')) ?? false), { timeout: CONVERGE_MS, message: 'B holds a relay reservation' }).toBe(true)

    // A read at R=3 asks every replica, B included: A dials B over WebRTC, signalled through a relay.
    await expect.poll(async () => {
      await a.page.evaluate(async (key) => { await window.ringstore.peer?.get(key, { r: 3 }).catch(() => undefined) }, cartKeyOf(cartId))
      return (await connections(a)).some((c) => c.peer === b.peerId && c.transport === 'webrtc')
    }, { timeout: CONVERGE_MS, message: 'a WebRTC connection from A to B' }).toBe(true)

    for (const tab of tabs) {
      await tab.page.evaluate(async (ids) => { for (const id of ids) await window.ringstore.faults?.block(id) }, infos.map((d) => d.peerId))
    }
    await expect.poll(async () => (await connections(a)).every((c) => c.peer === b.peerId), { message: 'A talks to B only' }).toBe(true)
    await expect.poll(async () => (await connections(b)).every((c) => c.peer === a.peerId), { message: 'B talks to A only' }).toBe(true)
    expect(await connections(a)).toContainEqual({ peer: b.peerId, transport: 'webrtc' })

    // Both directions, over WebRTC alone.
    await add(a.page, 'teapot')
    await add(a.page, 'mug', 2)
    await expect.poll(async () => await tabItems(b.page), { timeout: CONVERGE_MS }).toEqual({ teapot: 1, mug: 2 })
    await add(b.page, 'candle')
    await setQty(b.page, 'mug', 3)
    await remove(b.page, 'teapot')
    const final = { mug: 3, candle: 1 }
    await expect.poll(async () => await tabItems(a.page), { timeout: CONVERGE_MS }).toEqual(final)
    await expect.poll(async () => await tabItems(b.page), { timeout: CONVERGE_MS }).toEqual(final)
    // The daemons saw none of it.
    for (const daemon of infos) expect(await daemonItems(daemon, cartId)).toBeNull()
    expect(await connections(a)).toContainEqual({ peer: b.peerId, transport: 'webrtc' })
  } finally {
    await closeTabs(tabs)
    await set.stopAll()
  }
})
