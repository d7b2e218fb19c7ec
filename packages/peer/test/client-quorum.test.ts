/**
 * R + W > N across clients. A tab (a light peer, weight 0) coordinates its own reads and
 * writes and keeps a local copy of what it touches, but that copy is none of the key's N
 * replicas: it may stand in for a silent primary on a write (it keeps that primary's hint,
 * as a fallback would), and never makes up a read's R. Before this, a tab's own copy was one
 * of the W acks and one of the R replies, so a W=2 write reached one replica and another
 * tab's R=2 read could answer from one replica that had missed it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { settle } from '@ringstore/testkit'
import type { Peer } from '../src/peer.js'
import type { TestCluster } from './cluster-helpers.js'
import { bytes, holders, primariesOf, startCluster, text } from './cluster-helpers.js'

const MEMBERS = ['p1', 'p2', 'p3']

const KEY = 'cap/client-quorum-0123456789abcdef/cart'
const TIMEOUT_MS = 1000 // TEST_CONFIG.requestTimeoutMs

let cluster: TestCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

async function membersAndTabs (): Promise<{ c: TestCluster, a: Peer, b: Peer, primaries: readonly string[] }> {
  const c = await startCluster(MEMBERS)
  cluster = c
  await settle()
  const a = await c.add('tab-a', { weight: 0 })
  const b = await c.add('tab-b', { weight: 0 })
  await settle()
  return { c, a, b, primaries: primariesOf(c.peer('p1'), KEY) }
}

async function membersHolding (c: TestCluster): Promise<string[]> {
  return [...(await holders(c, KEY)).keys()].filter((id) => MEMBERS.includes(id)).sort()
}

/** Settles microtasks and reports whether `pending` has settled, without advancing the clock. */
async function settledYet (pending: Promise<unknown>): Promise<boolean> {
  let done = false
  void pending.then(() => { done = true }, () => { done = true })
  await settle()
  return done
}

describe('a tab in a quorum (N=3, R=2, W=2)', () => {
  it('a write is acknowledged by two replicas, not by the tab\'s own copy and one replica', async () => {
    const { c, a, primaries } = await membersAndTabs()
    const [first, second, third] = primaries as [string, string, string]
    // The tab's writes to two of the three replicas go unanswered (the link stays up).
    c.hub.lose((from, to, request) => from === 'tab-a' && request.type.startsWith('client-put') && (to === second || to === third))
    const put = a.put(KEY, bytes('v1'))
    expect(await settledYet(put)).toBe(false)
    expect(await membersHolding(c)).toEqual([first])
    // The silent replicas time out; no member is left to stand in (three members, three
    // primaries), so the tab does, once, with the hint that carries the write there.
    await c.clock.advance(TIMEOUT_MS)
    expect((await put).acks).toBe(2)
    expect(a.status().hintsPending).toBe(2)
    c.hub.lose(null)
    await c.clock.advance(1000)
    expect(await membersHolding(c)).toEqual([first, second, third].sort())
  })

  it('the tab stands in once: W=3 with two replicas silent fails with 2 acks, naming them', async () => {
    const { c, a, primaries } = await membersAndTabs()
    const [, second, third] = primaries as [string, string, string]
    c.hub.lose((from, to, request) => from === 'tab-a' && request.type.startsWith('client-put') && (to === second || to === third))
    const put = a.put(KEY, bytes('v1'), { w: 3 }).catch((e: unknown) => e)
    await c.clock.advance(TIMEOUT_MS)
    const error = await put
    expect(error).toMatchObject({ name: 'QuorumNotMetError', acks: 2, required: 3 })
    for (const silent of [second, third]) expect((error as Error).message).toContain(`${silent} did not answer`)
  })

  it('a read needs R replicas: a tab\'s own stale copy is not one of them, and it is merged in', async () => {
    const { c, a, b, primaries } = await membersAndTabs()
    const [first, second, third] = primaries as [string, string, string]
    await a.put(KEY, bytes('v1'), { w: 3 })
    expect((await b.get(KEY, { r: 3 })).values.map(text)).toEqual(['v1']) // b keeps v1 locally
    // a writes v2 to two replicas; the third misses it.
    const read = await a.get(KEY)
    c.hub.lose((from, to) => from === 'tab-a' && to === third)
    expect((await a.put(KEY, bytes('v2'), { context: read.context, w: 2 })).acks).toBe(2)
    c.hub.lose(null)
    // b cannot reach the two replicas that hold v2 in time: the third one (v1) and b's own
    // copy (v1) are not two replicas. The read fails rather than answer v1.
    c.hub.lose((from, to) => from === 'tab-b' && (to === first || to === second))
    const stale = b.get(KEY)
    expect(await settledYet(stale)).toBe(false)
    await c.clock.advance(TIMEOUT_MS)
    await expect(stale).rejects.toMatchObject({ name: 'QuorumNotMetError', op: 'get', acks: 1, required: 2 })
    // One of them back (the failure detector's probes see it again): two replicas answer,
    // and R=2 sees v2.
    c.hub.lose((from, to) => from === 'tab-b' && to === first)
    await c.clock.advance(3 * TIMEOUT_MS)
    expect((await b.get(KEY)).values.map(text)).toEqual(['v2'])
    // Read repair (once its window closes) brought b's own copy up to date.
    await c.clock.advance(200)
    expect((await b.get(KEY, { local: true })).values.map(text)).toEqual(['v2'])
  })

  it('offline, a tab still writes (its copy stands in, with hints) and reads its own copy locally', async () => {
    const { c, a } = await membersAndTabs()
    c.hub.isolate('tab-a')
    await settle()
    expect((await a.put(KEY, bytes('offline'), { w: 1 })).acks).toBe(1)
    await expect(a.put(KEY, bytes('offline too'), { w: 2 })).rejects.toMatchObject({ name: 'QuorumNotMetError', acks: 1, required: 2 })
    await expect(a.get(KEY, { r: 1 })).rejects.toMatchObject({ name: 'QuorumNotMetError', op: 'get', acks: 0, required: 1 })
    const local = await a.get(KEY, { local: true })
    expect([local.replies, local.values.map(text).sort()]).toEqual([0, ['offline', 'offline too']])
    // Back online: a read merges the tab's copy into the replicas' answer (read your own
    // writes before the hints are delivered).
    c.hub.lose((from, _to, request) => from === 'tab-a' && (request.type === 'client-put' || request.type === 'client-put-many'))
    c.hub.healAll()
    await settle()
    expect(a.status().hintsPending).toBe(3)
    const read = await a.get(KEY)
    expect(read.values.map(text).sort()).toEqual(['offline', 'offline too'])
  })
})
