/**
 * Live updates (coordinator/watches.ts, cluster/watch-registry.ts, watch-notifier.ts): a
 * watcher hears of every new version of its keys, whoever wrote it, without polling; its
 * watches come back after an outage with what it missed; every bound holds and is named.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { partitionOf, preferenceList } from '@ringstore/core'
import { settle } from '@ringstore/testkit'
import { WatchLimitError, WatchRegistry } from '../src/cluster/watch-registry.js'
import type { WatchChange } from '../src/coordinator/watches.js'
import type { TestCluster } from './cluster-helpers.js'
import { bytes, startCluster, text } from './cluster-helpers.js'
import { setup } from './router-harness.js'

const CART = 'cap/watched-cart-0123456789abcdef'
let cluster: TestCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

async function threeMembersAndTwoTabs (): Promise<TestCluster> {
  const c = cluster = await startCluster(['p1', 'p2', 'p3'])
  await settle()
  await c.add('tab-a', { weight: 0 })
  await c.add('tab-b', { weight: 0 })
  await settle()
  return c
}

/** What a listener heard, as the values' texts. */
function recorder (): { changes: string[][], listener: (change: WatchChange) => void } {
  const changes: string[][] = []
  return { changes, listener: (change) => { changes.push(change.values.map(text).sort()) } }
}

describe('watch', () => {
  it('a tab hears another tab\'s write and a member\'s write at once, pushed, not polled', async () => {
    const c = await threeMembersAndTwoTabs()
    const heard = recorder()
    c.peer('tab-a').watch(CART, heard.listener)
    await settle()
    const polls = (): number => c.hub.sent.filter((m) => m.from === 'tab-a' && (m.type === 'client-get' || m.type === 'client-digest')).length
    const before = polls()
    await c.peer('tab-b').put(CART, bytes('one teapot'))
    await settle()
    expect(heard.changes.at(-1)).toEqual(['one teapot'])
    const read = await c.peer('p2').get(CART)
    await c.peer('p2').put(CART, bytes('two teapots'), { context: read.context })
    await settle()
    expect(heard.changes.at(-1)).toEqual(['two teapots'])
    // Pushed by the members (watch-event), never read by the watcher.
    expect(polls()).toBe(before)
    expect(c.hub.sent.some((m) => m.to === 'tab-a' && m.type === 'watch-event')).toBe(true)
    // Its offline copy followed: a local read shows the last version.
    expect((await c.peer('tab-a').get(CART, { r: 1 })).values.map(text)).toEqual(['two teapots'])
    // Each version once, however many replicas pushed it.
    expect(heard.changes).toEqual([['one teapot'], ['two teapots']])
  })

  it('hears its own writes too, and nothing once unwatched', async () => {
    const c = await threeMembersAndTwoTabs()
    const heard = recorder()
    const unwatch = c.peer('tab-a').watch(CART, heard.listener)
    await settle()
    await c.peer('tab-a').put(CART, bytes('mine'))
    await settle()
    expect(heard.changes).toEqual([['mine']])
    unwatch()
    await settle()
    const pushes = (): number => c.hub.sent.filter((m) => m.to === 'tab-a' && m.type === 'watch-event').length
    const pushed = pushes()
    const read = await c.peer('tab-b').get(CART)
    await c.peer('tab-b').put(CART, bytes('after'), { context: read.context })
    await settle()
    expect(heard.changes).toEqual([['mine']])
    // The members were told (client-watch with no keys): they push nothing more.
    expect(pushes()).toBe(pushed)
  })

  it('after a partition heals, the watcher catches up with what it missed and hears new writes again', async () => {
    const c = await threeMembersAndTwoTabs()
    const heard = recorder()
    c.peer('tab-a').watch(CART, heard.listener)
    await settle()
    c.hub.isolate('tab-a')
    await settle()
    await c.peer('tab-b').put(CART, bytes('written while a was away'))
    await settle()
    expect(heard.changes).toEqual([])
    c.hub.healAll()
    // Probes find the members again (reachable), which renews the watches and fetches the key.
    await c.clock.advance(5_000)
    await settle()
    expect(heard.changes.at(-1)).toEqual(['written while a was away'])
    const read = await c.peer('tab-b').get(CART)
    await c.peer('tab-b').put(CART, bytes('and after'), { context: read.context })
    await settle()
    expect(heard.changes.at(-1)).toEqual(['and after'])
  })

  it('a push lost on the way (the link never went down) is fetched at the next renewal', async () => {
    const c = await threeMembersAndTwoTabs()
    const heard = recorder()
    c.peer('tab-a').watch(CART, heard.listener)
    await settle()
    const fetches = (): number => c.hub.sent.filter((m) => m.from === 'tab-a' && m.type === 'client-get').length
    const renewals = (): number => c.hub.sent.filter((m) => m.from === 'tab-a' && m.type === 'client-watch').length
    // The renewal timer is jittered (0.5-1.5 periods): this passes at least one.
    const renewalPeriod = 1.5 * c.peer('tab-a').config.watchRenewMs + 1
    const before = fetches()
    // Every push to tab-a is lost; everything else goes through, so nobody is unreachable.
    c.hub.lose((_from, to, request) => to === 'tab-a' && request.type === 'watch-event')
    await c.peer('tab-b').put(CART, bytes('pushed into the void'))
    await settle()
    expect(heard.changes).toEqual([])
    c.hub.lose(null)
    // The renewal's digests differ from what tab-a last heard: it fetches the key.
    await c.clock.advance(renewalPeriod)
    await settle()
    expect(heard.changes).toEqual([['pushed into the void']])
    expect(fetches()).toBeGreaterThan(before)
    // Caught up, renewals fetch nothing more, and pushes flow again.
    const caughtUp = fetches()
    let renewed = renewals()
    await c.clock.advance(renewalPeriod)
    await settle()
    expect(renewals()).toBeGreaterThan(renewed)
    expect(fetches()).toBe(caughtUp)
    const read = await c.peer('tab-b').get(CART)
    await c.peer('tab-b').put(CART, bytes('and pushed'), { context: read.context })
    await settle()
    expect(heard.changes).toEqual([['pushed into the void'], ['and pushed']])
    renewed = renewals()
    await c.clock.advance(renewalPeriod)
    await settle()
    expect(renewals()).toBeGreaterThan(renewed)
    expect(fetches()).toBe(caughtUp)
  })

  it('a member peer that watches a key it does not replicate also catches up on a lost push', async () => {
    const c = await threeMembersAndTwoTabs()
    await c.add('p4')
    await settle()
    // A key whose preference list leaves p4 out: only pushes (and catch-up) tell p4 of it.
    const ring = c.peer('p4').ring()
    const key = Array.from({ length: 64 }, (_, i) => `cap/member-watched-cart-${i}-0123456789`)
      .find((k) => !preferenceList(ring, partitionOf(k, ring.q), c.peer('p4').config.n).includes('p4'))
    if (key === undefined) throw new Error('no key outside p4\'s preference lists among 64')
    const heard = recorder()
    c.peer('p4').watch(key, heard.listener)
    await settle()
    c.hub.lose((_from, to, request) => to === 'p4' && request.type === 'watch-event')
    await c.peer('tab-b').put(key, bytes('lost on the way to p4'))
    await settle()
    expect(heard.changes).toEqual([])
    c.hub.lose(null)
    await c.clock.advance(1.5 * c.peer('p4').config.watchRenewMs + 1)
    await settle()
    expect(heard.changes).toEqual([['lost on the way to p4']])
  })

  it('a member forgets a watcher that stops renewing (a closed tab) once its lease ends', async () => {
    const c = await threeMembersAndTwoTabs()
    c.peer('tab-a').watch(CART, () => {})
    await settle()
    await c.peer('tab-a').stop()
    await settle()
    const lease = c.peer('p1').config.watchLeaseMs
    await c.clock.advance(lease + 1)
    const pushed = c.hub.sent.filter((m) => m.to === 'tab-a' && m.type === 'watch-event').length
    await c.peer('tab-b').put(CART, bytes('nobody listens'))
    await settle()
    expect(c.hub.sent.filter((m) => m.to === 'tab-a' && m.type === 'watch-event').length).toBe(pushed)
  })

  it('refuses keys the client may not read, and more keys than its bound', async () => {
    const c = await threeMembersAndTwoTabs()
    expect(() => c.peer('tab-a').watch('orders/1', () => {})).toThrow(expect.objectContaining({ name: 'KeyRightsError' }))
    const max = c.peer('tab-a').config.maxWatchedKeys
    for (let i = 0; i < max; i++) c.peer('tab-a').watch(`cap/watched-key-number-${String(i).padStart(4, '0')}`, () => {})
    expect(() => c.peer('tab-a').watch('cap/one-key-too-many-0123456', () => {})).toThrow(WatchLimitError)
    // Another listener on a key already watched is no new key.
    expect(() => c.peer('tab-a').watch('cap/watched-key-number-0000', () => {})).not.toThrow()
  })
})

describe('the member\'s watch table', () => {
  it('serves client-watch within its bounds, checks read rights, and answers a bound with over-quota', async () => {
    const t = await setup(undefined, (peer) => peer.startsWith('m') ? 'member' : 'client')
    const keys = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `cap/${tag}-watched-capability-${i}`)
    expect(await t.handle('tab1', { type: 'client-watch', keys: keys(4, 'a') })).toEqual({ type: 'ok' })
    expect(await t.handle('tab1', { type: 'client-watch', keys: keys(5, 'a') })).toMatchObject({ type: 'error', code: 'over-quota' })
    expect(await t.handle('tab2', { type: 'client-watch', keys: keys(1, 'b') })).toEqual({ type: 'ok' })
    // Two watchers is the harness's bound: a third is refused, an existing one may renew.
    expect(await t.handle('tab3', { type: 'client-watch', keys: keys(1, 'c') })).toMatchObject({ type: 'error', code: 'over-quota' })
    expect(await t.handle('tab2', { type: 'client-watch', keys: keys(2, 'b') })).toEqual({ type: 'ok' })
    expect(await t.handle('tab3', { type: 'client-watch', keys: ['orders/1'] })).toMatchObject({ type: 'error', code: 'forbidden' })
    expect(t.watchers.watchersOf(keys(1, 'a')[0] as string, 0)).toEqual(['tab1'])
    // Leases end: after one, the table has room again.
    t.advance(1001)
    expect(await t.handle('tab3', { type: 'client-watch', keys: keys(1, 'c') })).toEqual({ type: 'ok' })
    expect(t.watchers.watchersOf(keys(1, 'a')[0] as string, 1001)).toEqual([])
    // Only members push versions to a watcher.
    expect(await t.handle('tab1', { type: 'watch-event', key: 'cap/x-watched-capability-0', clock: { entries: [], anonymous: [] } })).toMatchObject({ type: 'error', code: 'forbidden' })
    expect(await t.handle('m1', { type: 'watch-event', key: 'cap/x-watched-capability-0', clock: { entries: [], anonymous: [] } })).toEqual({ type: 'ok' })
    expect(t.delivered.map(([key, , from]) => [key, from])).toEqual([['cap/x-watched-capability-0', 'm1']])
  })

  it('bounds memory: renewals replace a watcher\'s keys rather than add to them', () => {
    const registry = new WatchRegistry({ maxKeysPerWatcher: 3, maxWatchers: 10, leaseMs: 100 })
    for (let i = 0; i < 50; i++) registry.renew('tab', [`k${i}`, `k${i + 1}`], i)
    expect(registry.size).toEqual({ watchers: 1, keys: 2 })
    registry.renew('tab', [], 60)
    expect(registry.size).toEqual({ watchers: 0, keys: 0 })
  })
})
