import { afterEach, describe, expect, it } from 'vitest'
import { clockEqual, siblings } from '@ringstore/core'
import { PeerStoppedError, QuorumNotMetError } from '../src/errors.js'
import { MemoryStorage } from '@ringstore/testkit'
import { settle } from '@ringstore/testkit'
import type { TestCluster } from './cluster-helpers.js'
import { bytes, findKey, holders, primariesOf, startCluster, text, totalHints } from './cluster-helpers.js'

const IDS = ['p1', 'p2', 'p3', 'p4', 'p5']
let cluster: TestCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

async function fiveNodes (): Promise<TestCluster> {
  cluster = await startCluster(IDS)
  return cluster
}

describe('a 5-peer cluster, N=3 R=2 W=2', () => {
  it('every peer learns the same ring', async () => {
    const c = await fiveNodes()
    for (const peer of c.peers.values()) {
      expect(peer.status().ring.members.map((m) => m.id)).toEqual(IDS)
      expect(peer.ring().owners).toEqual(c.peer('p1').ring().owners)
    }
  })

  it('no context makes a key unwritable: a counter pushed to its limit moves its peer to a new actor epoch', async () => {
    const c = await fiveNodes()
    const key = 'cart:poisoned'
    const [first, second] = primariesOf(c.peer('p1'), key) as [string, string]
    const edge = Number.MAX_SAFE_INTEGER
    // Forged: the context claims both primaries' actors at the edge of the safe integers.
    const poisoned = [[c.peer(first).actor(), edge], [c.peer(second).actor(), edge]].sort((a, b) => String(a[0]) < String(b[0]) ? -1 : 1) as Array<[string, number]>
    const before = { first: c.peer(first).actor(), second: c.peer(second).actor() }
    await c.peer(first).put(key, bytes('poisoned'), { context: poisoned })
    await settle()
    for (const [i, coordinator] of [first, second, first].entries()) {
      const read = await c.peer(coordinator).get(key, { r: 3 })
      const written = await c.peer(coordinator).put(key, bytes(`after ${i}`), { context: read.context })
      expect(written.acks).toBeGreaterThanOrEqual(2)
      await settle()
    }
    expect(c.peer(first).actor()).not.toBe(before.first)
    expect(c.peer(second).actor()).not.toBe(before.second)
    expect((await c.peer('p5').get(key, { r: 3 })).values.map(text)).toEqual(['after 2'])
  })

  it('put then get from another peer; exactly the preference list holds the value', async () => {
    const c = await fiveNodes()
    const key = 'cart:42'
    const primaries = primariesOf(c.peer('p1'), key)
    const coordinator = primaries[0] as string
    const result = await c.peer(coordinator).put(key, bytes('apples'))
    expect(result.acks).toBeGreaterThanOrEqual(2)
    expect(result.dot[0]).toBe(c.peer(coordinator).actor())
    await settle()
    const reader = IDS.find((id) => !primaries.includes(id)) as string
    const read = await c.peer(reader).get(key)
    expect(read.found).toBe(true)
    expect(read.values.map(text)).toEqual(['apples'])
    expect(read.replies).toBeGreaterThanOrEqual(2)
    expect([...(await holders(c, key)).keys()].sort()).toEqual([...primaries].sort())
  })

  it('a peer that is not a replica forwards the put to a primary, which mints the dot', async () => {
    const c = await fiveNodes()
    const key = findKey(c.peer('p1'), (primaries) => !primaries.includes('p1'))
    const primaries = primariesOf(c.peer('p1'), key)
    const result = await c.peer('p1').put(key, bytes('x'))
    expect(primaries.map((p) => c.peer(p).actor())).toContain(result.dot[0])
    expect(c.hub.sent.some((m) => m.from === 'p1' && m.type === 'coordinate-put')).toBe(true)
    await settle()
    expect((await holders(c, key)).has('p1')).toBe(false)
  })

  it('concurrent writes with stale contexts become siblings; a write with the merged context resolves them', async () => {
    const c = await fiveNodes()
    const key = 'cart:siblings'
    const [a, b] = primariesOf(c.peer('p1'), key) as [string, string]
    await c.peer(a).put(key, bytes('v1'))
    const read = await c.peer(a).get(key)
    await c.peer(a).put(key, bytes('from-a'), { context: read.context })
    await c.peer(b).put(key, bytes('from-b'), { context: read.context })
    await settle()
    const both = await c.peer('p5').get(key)
    expect(both.values.map(text).sort()).toEqual(['from-a', 'from-b'])
    await c.peer('p5').put(key, bytes('merged'), { context: both.context })
    await settle()
    const after = await c.peer('p2').get(key)
    expect(after.values.map(text)).toEqual(['merged'])
    expect(c.peer('p2').metrics.siblingsOnRead[1]).toBeGreaterThan(0)
  })

  it('a write supersedes exactly what its context saw', async () => {
    const c = await fiveNodes()
    const key = 'cart:exact'
    await c.peer('p1').put(key, bytes('v1'))
    await settle()
    const seen = await c.peer('p2').get(key)
    // A blind write the reader did not see...
    await c.peer('p3').put(key, bytes('blind'))
    await settle()
    // ...survives the reader's write, which replaces only v1.
    await c.peer('p2').put(key, bytes('v2'), { context: seen.context })
    await settle()
    const read = await c.peer('p4').get(key)
    expect(read.values.map(text).sort()).toEqual(['blind', 'v2'])
  })

  it('delete with the read context, then get: not found', async () => {
    const c = await fiveNodes()
    const key = 'cart:delete'
    await c.peer('p1').put(key, bytes('gone soon'))
    await settle()
    const read = await c.peer('p2').get(key)
    await c.peer('p2').delete(key, { context: read.context })
    await settle()
    const after = await c.peer('p3').get(key)
    expect(after.found).toBe(false)
    expect(after.values).toEqual([])
    expect(after.siblings.every((s) => s.value === null)).toBe(true)
    expect(c.peer('p2').metrics.requests.delete).toBe(1)
  })

  it('a blocked primary: the write goes to a fallback with a hint, delivered after unblocking', async () => {
    const c = await fiveNodes()
    const key = 'cart:fallback'
    const primaries = primariesOf(c.peer('p1'), key)
    const [coordinator, , down] = primaries as [string, string, string]
    c.hub.isolate(down)
    await settle()
    const result = await c.peer(coordinator).put(key, bytes('hinted'))
    expect(result.acks).toBeGreaterThanOrEqual(2)
    await settle()
    expect(totalHints(c)).toBeGreaterThan(0)
    expect((await holders(c, key)).has(down)).toBe(false)
    c.hub.healAll()
    await settle()
    await c.clock.advance(1000)
    expect(totalHints(c)).toBe(0)
    const atDown = await c.peer(down).localGet(key)
    expect(atDown === null ? [] : siblings(atDown).map((s) => text(s.value as Uint8Array))).toEqual(['hinted'])
    const delivered = [...c.peers.values()].reduce((n, p) => n + p.metrics.hintsDelivered, 0)
    expect(delivered).toBeGreaterThan(0)
  })

  it('a silent replica times out: the write still succeeds, a hint is kept and later writes route around it', async () => {
    const c = await fiveNodes()
    const key = 'cart:silent'
    const [coordinator, , silent] = primariesOf(c.peer('p1'), key) as [string, string, string]
    c.hub.stall(coordinator, silent)
    const first = await c.peer(coordinator).put(key, bytes('one'))
    expect(first.acks).toBe(2)
    expect(c.peer(coordinator).status().hintsPending).toBe(0)
    // The request to the silent replica times out on the clock: then the hint is kept.
    await c.clock.advance(1000)
    expect(c.peer(coordinator).status().hintsPending).toBe(1)
    expect(c.peer(coordinator).status().members.find((m) => m.id === silent)?.reachable).toBe(false)
    const before = c.hub.sent.length
    await c.peer(coordinator).put(key, bytes('two'), { context: first.context })
    const sentTo = c.hub.sent.slice(before).filter((m) => m.type === 'replica-put').map((m) => m.to)
    expect(sentTo).not.toContain(silent)
    expect(sentTo).toHaveLength(2)
  })

  it('n=2 w=2, a primary goes silent mid-write: a fallback stands in, and the hint reaches the primary later', async () => {
    const c = await fiveNodes()
    const key = 'cart:stand-in'
    const [coordinator, silent] = primariesOf(c.peer('p1'), key, 2) as [string, string]
    // A paused process: its connections stay open, nothing it is asked gets an answer.
    for (const other of IDS) if (other !== silent) c.hub.stall(other, silent)
    const before = c.hub.sent.length
    const pending = c.peer(coordinator).put(key, bytes('stand-in'), { n: 2, w: 2 })
    await c.clock.advance(1000)
    const result = await pending
    expect(result.acks).toBe(2)
    const sentTo = c.hub.sent.slice(before).filter((m) => m.type === 'replica-put').map((m) => m.to)
    expect(sentTo).toHaveLength(1)
    const [standIn] = sentTo as [string]
    expect([coordinator, silent]).not.toContain(standIn)
    // The stand-in keeps the version as a hint for the silent primary, and so does the coordinator.
    expect(c.peer(standIn).status().hintsPending).toBe(1)
    expect(c.peer(coordinator).status().hintsPending).toBe(1)
    expect(await c.peer(silent).localGet(key)).toBeNull()
    c.hub.healAll()
    await settle()
    await c.clock.advance(2000)
    expect(totalHints(c)).toBe(0)
    const atSilent = await c.peer(silent).localGet(key)
    expect(atSilent === null ? [] : siblings(atSilent).map((s) => text(s.value as Uint8Array))).toEqual(['stand-in'])
    expect(await c.peer(standIn).localGet(key)).toBeNull()
  })

  it('n=3 w=3, two primaries silent: each gets its own stand-in, no peer is sent the write twice', async () => {
    const c = await fiveNodes()
    const key = 'cart:two-silent'
    const [coordinator, silentA, silentB] = primariesOf(c.peer('p1'), key) as [string, string, string]
    for (const other of IDS) {
      if (other !== silentA) c.hub.stall(other, silentA)
      if (other !== silentB && other !== silentA) c.hub.stall(other, silentB)
    }
    const before = c.hub.sent.length
    const pending = c.peer(coordinator).put(key, bytes('three'), { w: 3 })
    await c.clock.advance(1000)
    const result = await pending
    expect(result.acks).toBe(3)
    const sentTo = c.hub.sent.slice(before).filter((m) => m.type === 'replica-put').map((m) => m.to)
    expect(new Set(sentTo).size).toBe(sentTo.length)
    expect(sentTo).toHaveLength(2)
    expect(sentTo.every((peer) => ![coordinator, silentA, silentB].includes(peer))).toBe(true)
    c.hub.healAll()
    await settle()
    await c.clock.advance(2000)
    expect(totalHints(c)).toBe(0)
    for (const primary of [silentA, silentB]) {
      const clock = await c.peer(primary).localGet(key)
      expect(clock === null ? [] : siblings(clock).map((s) => text(s.value as Uint8Array))).toEqual(['three'])
    }
  })

  it('read repair brings a replica that lost the key up to date', async () => {
    const c = await fiveNodes()
    const key = 'cart:repair'
    const primaries = primariesOf(c.peer('p1'), key)
    await c.peer(primaries[0] as string).put(key, bytes('keep me'), { w: 3 })
    const victim = primaries[2] as string
    // The victim loses its copy (think: a disk replaced), behind the engine's back.
    const storage = c.storages.get(victim)
    const { dataKey } = await import('../src/data/storage-keys.js')
    await storage?.write([{ ns: 'data', key: dataKey(key), value: null }])
    expect(await c.peer(victim).localGet(key)).toBeNull()
    const reader = IDS.find((id) => !primaries.includes(id)) as string
    const read = await c.peer(reader).get(key)
    expect(read.values.map(text)).toEqual(['keep me'])
    await c.clock.advance(300)
    const repaired = await c.peer(victim).localGet(key)
    expect(repaired !== null && clockEqual(repaired, read.clock ?? repaired)).toBe(true)
    expect(c.peer(reader).metrics.readRepairs).toBeGreaterThan(0)
  })

  it('a replica reading asks the others for digests only, and fetches no version while all agree', async () => {
    const c = await fiveNodes()
    const key = 'cart:digests'
    const [reader, ...others] = primariesOf(c.peer('p1'), key) as [string, string, string]
    const written = await c.peer(reader).put(key, bytes('same everywhere'), { w: 3 })
    await settle()
    const before = c.hub.sent.length
    const read = await c.peer(reader).get(key)
    await c.clock.advance(300)
    expect(read.values.map(text)).toEqual(['same everywhere'])
    expect(read.replies).toBeGreaterThanOrEqual(2)
    expect(read.context).toEqual(written.context)
    const asked = c.hub.sent.slice(before).filter((m) => m.from === reader)
    expect(asked.filter((m) => m.type === 'replica-digest').map((m) => m.to).sort()).toEqual([...others].sort())
    expect(asked.filter((m) => m.type === 'replica-get' || m.type === 'replica-put')).toEqual([])
    expect(c.peer(reader).metrics.readDigestMismatches).toBe(0)
  })

  it('a digest read fetches the version of a replica that differs, and read repair updates it', async () => {
    const c = await fiveNodes()
    const key = 'cart:stale'
    const [reader, , stale] = primariesOf(c.peer('p1'), key) as [string, string, string]
    const first = await c.peer(reader).put(key, bytes('one'), { w: 3 })
    // The stale replica misses the second write (its request goes unanswered), and the
    // reader's hint for it is never delivered (the hand-off would repair it whenever its
    // next run falls): the read must find it stale.
    c.hub.stall(reader, stale)
    c.hub.lose((from, to, request) => from === reader && to === stale && request.type === 'replica-put-many')
    await c.peer(reader).put(key, bytes('two'), { context: first.context })
    await c.clock.advance(1000)
    c.hub.unblock(reader, stale)
    const staleCopy = await c.peer(stale).localGet(key)
    const readerCopy = await c.peer(reader).localGet(key)
    expect(staleCopy !== null && readerCopy !== null && !clockEqual(staleCopy, readerCopy)).toBe(true)
    const before = c.hub.sent.length
    const read = await c.peer(reader).get(key)
    expect(read.values.map(text)).toEqual(['two'])
    await c.clock.advance(300)
    const fetched = c.hub.sent.slice(before).filter((m) => m.from === reader && m.type === 'replica-get').map((m) => m.to)
    expect(fetched).toEqual([stale])
    expect(c.peer(reader).metrics.readDigestMismatches).toBe(1)
    const repaired = await c.peer(stale).localGet(key)
    expect(repaired !== null && read.clock !== null && clockEqual(repaired, read.clock)).toBe(true)
  })

  it('a replica that holds nothing answers an empty digest: no version fetched, read repair fills it', async () => {
    const c = await fiveNodes()
    const key = 'cart:empty-replica'
    const [reader, , wiped] = primariesOf(c.peer('p1'), key) as [string, string, string]
    await c.peer(reader).put(key, bytes('kept'), { w: 3 })
    // The replica comes back from a disk replacement: an empty store, an empty tree.
    await c.restartWith(wiped, new MemoryStorage())
    const before = c.hub.sent.length
    const read = await c.peer(reader).get(key)
    expect(read.values.map(text)).toEqual(['kept'])
    await c.clock.advance(300)
    expect(c.hub.sent.slice(before).filter((m) => m.from === reader && m.type === 'replica-get')).toEqual([])
    const repaired = await c.peer(wiped).localGet(key)
    expect(repaired !== null && read.clock !== null && clockEqual(repaired, read.clock)).toBe(true)
  })

  it('W=2 with every other peer unreachable: QuorumNotMetError with 1 ack, the write kept with hints', async () => {
    const c = await fiveNodes()
    c.hub.isolate('p1')
    await settle()
    const key = findKey(c.peer('p1'), (primaries) => primaries.includes('p1'))
    const error = await c.peer('p1').put(key, bytes('lonely'), { w: 2 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(QuorumNotMetError)
    expect(error).toMatchObject({ name: 'QuorumNotMetError', op: 'put', acks: 1, required: 2 })
    expect((error as QuorumNotMetError).dot?.[0]).toBe(c.peer('p1').actor())
    expect(c.peer('p1').metrics.quorumFailures.put).toBe(1)
    await settle()
    expect(c.peer('p1').status().hintsPending).toBe(2)
    expect(await c.peer('p1').localGet(key)).not.toBeNull()
  })

  it('W=1 with every other peer unreachable succeeds (always writeable) and spreads after the heal', async () => {
    const c = await fiveNodes()
    const key = findKey(c.peer('p1'), (primaries) => !primaries.includes('p1'))
    c.hub.isolate('p1')
    await settle()
    const result = await c.peer('p1').put(key, bytes('offline'), { w: 1 })
    expect(result.acks).toBe(1)
    expect(result.dot[0]).toBe(c.peer('p1').actor())
    await settle()
    expect(c.peer('p1').status().hintsPending).toBe(3)
    c.hub.healAll()
    await settle()
    await c.clock.advance(1000)
    expect(totalHints(c)).toBe(0)
    for (const primary of primariesOf(c.peer('p1'), key)) {
      const clock = await c.peer(primary).localGet(key)
      expect(clock === null ? [] : siblings(clock).map((s) => text(s.value as Uint8Array))).toEqual(['offline'])
    }
    const read = await c.peer('p2').get(key)
    expect(read.values.map(text)).toEqual(['offline'])
  })

  it('a get that cannot reach R replicas fails with the number of replies', async () => {
    const c = await fiveNodes()
    const key = findKey(c.peer('p1'), (primaries) => primaries.includes('p1'))
    c.hub.isolate('p1')
    await settle()
    const error = await c.peer('p1').get(key).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'QuorumNotMetError', op: 'get', acks: 1, required: 2 })
    const local = await c.peer('p1').get(key, { r: 1 })
    expect(local.found).toBe(false)
  })

  it('anti-entropy (through the maintenance hook) refills a replica that lost a key', async () => {
    const c = await fiveNodes()
    const key = 'cart:ae'
    const primaries = primariesOf(c.peer('p1'), key)
    await c.peer(primaries[0] as string).put(key, bytes('durable'), { w: 3 })
    const victim = primaries[1] as string
    const { dataKey } = await import('../src/data/storage-keys.js')
    await c.storages.get(victim)?.write([{ ns: 'data', key: dataKey(key), value: null }])
    // The restart rebuilds the victim's Merkle trees from what its storage really holds.
    const actorBefore = c.peer(victim).actor()
    const restarted = await c.restart(victim)
    // The key was lost without a drop, so no epoch bump: the stored epoch is kept.
    expect(restarted.actor()).toBe(actorBefore)
    expect(await restarted.localGet(key)).toBeNull()
    const round = await c.peer(primaries[0] as string).runAntiEntropyRound()
    expect(round.keysRepaired).toBeGreaterThan(0)
    const clock = await restarted.localGet(key)
    expect(clock === null ? [] : siblings(clock).map((s) => text(s.value as Uint8Array))).toEqual(['durable'])
  })

  it('a joining peer receives the keys it now replicates (transfer through the maintenance hook)', async () => {
    const c = await fiveNodes()
    const keys = Array.from({ length: 40 }, (_, i) => `join-${i}`)
    for (const key of keys) await c.peer('p1').put(key, bytes(key))
    await settle()
    const p6 = await c.add('p6')
    await settle()
    for (const peer of c.peers.values()) await peer.runTransfer()
    await settle()
    const mine = keys.filter((key) => primariesOf(p6, key).includes('p6'))
    expect(mine.length).toBeGreaterThan(0)
    for (const key of mine) expect(await p6.localGet(key)).not.toBeNull()
    for (const key of mine) expect((await c.peer('p2').get(key)).values.map(text)).toEqual([key])
  })

  it('refuses a put that would leave more than LIMITS.siblings siblings', async () => {
    const c = await fiveNodes()
    const key = findKey(c.peer('p1'), (primaries) => primaries[0] === 'p1')
    for (let i = 0; i < 64; i++) await c.peer('p1').put(key, bytes(`blind-${i}`))
    await expect(c.peer('p1').put(key, bytes('one too many'))).rejects.toMatchObject({ name: 'TooManySiblingsError' })
    const read = await c.peer('p1').get(key)
    expect(read.values).toHaveLength(64)
    // Writing with the context resolves them all.
    await c.peer('p1').put(key, bytes('resolved'), { context: read.context })
    expect((await c.peer('p1').get(key)).values.map(text)).toEqual(['resolved'])
  })

  it('a stopped peer refuses operations', async () => {
    const c = await fiveNodes()
    const p5 = c.peer('p5')
    await p5.stop()
    await expect(p5.get('k')).rejects.toBeInstanceOf(PeerStoppedError)
    await expect(p5.put('k', bytes('x'))).rejects.toMatchObject({ name: 'PeerStoppedError' })
    await expect(p5.delete('k')).rejects.toBeInstanceOf(PeerStoppedError)
  })

  it('bad input is refused with typed errors before anything is written', async () => {
    const c = await fiveNodes()
    await expect(c.peer('p1').put('', bytes('x'))).rejects.toMatchObject({ name: 'InvalidKeyError' })
    await expect(c.peer('p1').put('a\u0000b', bytes('x'))).rejects.toMatchObject({ name: 'InvalidKeyError' })
    await expect(c.peer('p1').put('k', new Uint8Array(1024 * 1024 + 1))).rejects.toMatchObject({ name: 'ValueTooLargeError' })
    await expect(c.peer('p1').put('k', bytes('x'), { w: 4 })).rejects.toMatchObject({ name: 'InvalidOptionsError' })
    expect(c.peer('p1').status().keys).toBe(0)
  })
})

/** Each member's count of refused requests (members joining refuse each other's first pulls). */
const refusals = (c: TestCluster): Map<string, number> => new Map([...c.peers].map(([id, peer]) => [id, peer.metrics.forbiddenRequests]))

/** `client` spoke only the client surface (and ping), and no member refused it anything since `before`. */
function expectClientSurfaceOnly (c: TestCluster, client: string, before: Map<string, number>): void {
  const spoken = new Set(c.hub.sent.filter((m) => m.from === client).map((m) => m.type))
  expect([...spoken].filter((type) => type !== 'ping' && type !== 'members-view' && !type.startsWith('client-'))).toEqual([])
  for (const [id, peer] of c.peers) if (id !== client) expect(peer.metrics.forbiddenRequests, id).toBe(before.get(id))
}

describe('a light peer (weight 0)', () => {
  // Its keys are capabilities (cap/<id of 22+ characters>/…): a client may write no others
  // (core's key-rights.ts).
  it('refuses, before anything is stored or sent, a key it has no right to; its own and capability keys work', async () => {
    const c = await startCluster(['p1', 'p2', 'p3'])
    cluster = c
    await settle()
    const tab = await c.add('tab', { weight: 0 })
    await settle()
    await c.peer('p1').put('pub/news', bytes('members write this'), { w: 3 })
    const keyed = (): number => c.hub.sent.filter((m) => m.from === 'tab' && m.type.startsWith('client-')).length
    const sent = keyed()
    for (const key of ['orders/1', 'pub/news', '~p1/profile', 'cap/guessable/cart']) {
      await expect(tab.put(key, bytes('x'), { w: 1 })).rejects.toMatchObject({ name: 'KeyRightsError' })
      expect(await tab.localGet(key)).toBeNull()
    }
    await expect(tab.get('orders/1')).rejects.toMatchObject({ name: 'KeyRightsError' })
    expect(keyed()).toBe(sent)
    expect(tab.status().hintsPending).toBe(0)
    expect((await tab.get('pub/news')).values.map(text)).toEqual(['members write this'])
    expect((await tab.put('~tab/settings', bytes('mine'))).acks).toBe(2)
    expect((await c.peer('p2').get('~tab/settings')).values.map(text)).toEqual(['mine'])
  })

  it('owns nothing, keeps a local replica, and delivers an offline write after reconnecting', async () => {
    const c = await startCluster(['p1', 'p2', 'p3'])
    cluster = c
    await settle()
    const before = refusals(c)
    const tab = await c.add('tab', { weight: 0 })
    await settle()
    expect(tab.ring().owners.includes('tab')).toBe(false)
    expect(tab.status().ring.members.map((m) => m.id)).toContain('tab')
    const key = 'cap/cart-tab-0123456789abcdef'
    c.hub.isolate('tab')
    await settle()
    const result = await tab.put(key, bytes('written offline'), { w: 1 })
    expect(result.acks).toBe(1)
    expect(result.dot[0]).toBe(tab.actor())
    await settle()
    expect(tab.status().hintsPending).toBe(3)
    // Its own copy is no replica of the key (no r=1 read offline), but a local read shows it.
    await expect(tab.get(key, { r: 1 })).rejects.toMatchObject({ name: 'QuorumNotMetError', op: 'get' })
    expect((await tab.get(key, { local: true })).values.map(text)).toEqual(['written offline'])
    c.hub.healAll()
    await settle()
    await c.clock.advance(1000)
    expect(tab.status().hintsPending).toBe(0)
    const read = await c.peer('p2').get(key)
    expect(read.values.map(text)).toEqual(['written offline'])
    // Online, it writes through the primaries and keeps its local copy current.
    await tab.put(key, bytes('second'), { context: read.context })
    await settle()
    expect((await c.peer('p3').get(key)).values.map(text)).toEqual(['second'])
    const local = await tab.localGet(key)
    expect(local === null ? [] : siblings(local).map((s) => text(s.value as Uint8Array))).toEqual(['second'])
    expectClientSurfaceOnly(c, 'tab', before)
  })

  it('an offline write over a value it read supersedes that value on the members once delivered', async () => {
    const c = await startCluster(['p1', 'p2', 'p3'])
    cluster = c
    await settle()
    const before = refusals(c)
    const tab = await c.add('tab', { weight: 0 })
    await settle()
    const key = 'cap/cart-removal-0123456789ab'
    await c.peer('p1').put(key, bytes('teapot and mug'), { w: 3 })
    const read = await tab.get(key)
    expect(read.values.map(text)).toEqual(['teapot and mug'])
    c.hub.isolate('tab')
    await settle()
    await tab.put(key, bytes('mug'), { context: read.context, w: 1 })
    c.hub.healAll()
    await settle()
    await c.clock.advance(1000)
    expect(tab.status().hintsPending).toBe(0)
    // Delivered through client-put-many, the write's claim to have seen 'teapot and mug'
    // is checked against each member's own copy and holds: no sibling comes back.
    for (const id of ['p1', 'p2', 'p3']) expect((await c.peer(id).get(key, { r: 3 })).values.map(text)).toEqual(['mug'])
    expectClientSurfaceOnly(c, 'tab', before)
  })

  it('reading a key it does not hold, it asks for the versions at once (no digest round first); holding it, digests', async () => {
    const c = await startCluster(['p1', 'p2', 'p3'])
    cluster = c
    const tab = await c.add('tab', { weight: 0 })
    await settle()
    const key = 'cap/cart-shared-0123456789abc'
    await c.peer('p1').put(key, bytes('from a daemon'), { w: 3 })
    await settle()
    let before = c.hub.sent.length
    const first = await tab.get(key)
    expect(first.values.map(text)).toEqual(['from a daemon'])
    await c.clock.advance(300)
    const types = (since: number): string[] => c.hub.sent.slice(since).filter((m) => m.from === 'tab').map((m) => m.type)
    expect(types(before).filter((t) => t === 'client-get')).toHaveLength(3)
    expect(types(before)).not.toContain('client-digest')
    // Its read stored nothing locally; a write through it does, and then reads compare digests.
    await tab.put(key, bytes('from the tab'), { context: first.context })
    await settle()
    before = c.hub.sent.length
    expect((await tab.get(key)).values.map(text)).toEqual(['from the tab'])
    await c.clock.advance(300)
    expect(types(before).filter((t) => t === 'client-digest')).toHaveLength(3)
    expect(types(before)).not.toContain('client-get')
  })

  it('alone, it serves from its local replica; its writes reach the owners once a cluster appears', async () => {
    const c = await startCluster([])
    cluster = c
    const tab = await c.add('tab', { weight: 0 })
    expect(tab.ring().owners.every((owner) => owner === null)).toBe(true)
    const written = await tab.put('cap/cart-early-0123456789abcd', bytes('before any owner'), { w: 1 })
    expect(written.acks).toBe(1)
    expect((await tab.get('cap/cart-early-0123456789abcd', { r: 1 })).values.map(text)).toEqual(['before any owner'])
    await expect(tab.get('cap/cart-early-0123456789abcd')).rejects.toMatchObject({ name: 'QuorumNotMetError', acks: 1, required: 2 })
    expect(tab.status().hintsPending).toBe(0)
    for (const id of ['p1', 'p2', 'p3']) await c.add(id)
    await settle()
    await c.clock.advance(1000)
    // Hinted to the first owner it learnt of; the owners spread it from there (read repair here).
    expect(tab.metrics.hintsStored).toBeGreaterThan(0)
    expect(tab.status().hintsPending).toBe(0)
    expect((await c.peer('p1').get('cap/cart-early-0123456789abcd')).values.map(text)).toEqual(['before any owner'])
    expect((await holders(c, 'cap/cart-early-0123456789abcd')).size).toBe(4)
  })
})
