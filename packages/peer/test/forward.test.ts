/**
 * A put coordinated by a peer that is not a replica is forwarded to a primary
 * (protocol/coordinate-put.ts). A paused primary must be routed around within the engine's 2 s
 * bound; a primary that is merely slow must not be given up on (that would coordinate the
 * same put twice). Deterministic: loopback network, manual clock, default timeouts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { LIMITS, siblings } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import { TooManySiblingsError } from '../src/errors.js'
import { FORWARD_TIMEOUT_FACTOR, PING_TIMEOUT_FACTOR } from '../src/constants.js'
import { dotFromContext } from '../src/protocol/coordinate-put.js'
import type { Namespace, ScanOptions, Storage, StorageOp } from '../src/interfaces.js'
import type { Clock } from '../src/interfaces.js'
import { Peer } from '../src/peer.js'
import { MemoryStorage } from '@ringstore/testkit'
import { TestSigner, settle } from '@ringstore/testkit'
import type { TestCluster } from './cluster-helpers.js'
import { TEST_CONFIG, bytes, findKey, holders, primariesOf, startCluster, text } from './cluster-helpers.js'

/** The engine's bound for routing around a silent peer. */
const ROUTE_AROUND_BOUND_MS = 2000
const TIMEOUT_MS = 1000

let cluster: TestCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

/** Storage whose reads and writes take `delayMs` on the clock while `slow` is set: a busy disk. */
class SlowStorage implements Storage {
  slow = false
  constructor (readonly inner: MemoryStorage, readonly clock: Clock, readonly delayMs: number) {}
  async get (ns: Namespace, key: string): Promise<Uint8Array | undefined> {
    await this.#wait()
    return await this.inner.get(ns, key)
  }

  async getMany (ns: Namespace, keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    await this.#wait()
    return await this.inner.getMany(ns, keys)
  }

  async write (ops: readonly StorageOp[]): Promise<void> {
    await this.#wait()
    await this.inner.write(ops)
  }

  async #wait (): Promise<void> {
    if (this.slow) await new Promise<void>((resolve) => this.clock.setTimer(this.delayMs, resolve))
  }

  scan (ns: Namespace, options?: ScanOptions): AsyncIterable<readonly [string, Uint8Array]> { return this.inner.scan(ns, options) }
  async close (): Promise<void> { await this.inner.close() }
}

/** When `promise` settled, on the cluster's clock (undefined while pending). */
function settledAt (c: TestCluster, promise: Promise<unknown>): () => number | undefined {
  let at: number | undefined
  promise.then(() => { at = c.clock.now() }, () => { at = c.clock.now() })
  return () => at
}

function coordinatePutsTo (c: TestCluster, from: PeerId, since: number): PeerId[] {
  return c.hub.sent.slice(since).filter((m) => m.from === from && m.type === 'coordinate-put').map((m) => m.to)
}

describe('a put forwarded by a peer that is not a replica (default timeouts)', () => {
  it('the timings keep a silent primary under the 2 s bound and give a busy one the full 2× timeout', () => {
    expect(TIMEOUT_MS * (1 + PING_TIMEOUT_FACTOR)).toBeLessThan(ROUTE_AROUND_BOUND_MS)
    expect(FORWARD_TIMEOUT_FACTOR).toBe(2)
  })

  it('a paused primary is routed around before 2 s; the next primary coordinates the put once', async () => {
    const c = cluster = await startCluster(['p1', 'p2', 'p3', 'p4', 'p5'], { requestTimeoutMs: TIMEOUT_MS })
    const key = findKey(c.peer('p1'), (primaries) => !primaries.includes('p1'))
    const [paused, next] = primariesOf(c.peer('p1'), key) as [string, string, string]
    const before = c.hub.sent.length
    // A paused process: its connections stay open, nothing it is asked gets an answer.
    for (const other of c.peers.keys()) if (other !== paused) c.hub.stall(other, paused)
    const started = c.clock.now()
    const pending = c.peer('p1').put(key, bytes('routed'))
    const doneAt = settledAt(c, pending)
    await c.clock.advance(ROUTE_AROUND_BOUND_MS - 1)
    const elapsed = (doneAt() ?? Infinity) - started
    expect(elapsed).toBeLessThan(ROUTE_AROUND_BOUND_MS)
    // Not before the primary had one full timeout to answer.
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS)
    const result = await pending
    expect(result.dot[0]).toBe(c.peer(next).actor())
    expect(result.acks).toBeGreaterThanOrEqual(2)
    // Nothing reached the paused primary (stalled link); the next one got the put once.
    expect(coordinatePutsTo(c, 'p1', before)).toEqual([next])
    // Later puts skip it at once: it was reported to the failure detector.
    const since = c.hub.sent.length
    const second = c.peer('p1').put(key, bytes('again'), { context: result.context })
    const secondAt = settledAt(c, second)
    await settle()
    expect(secondAt()).toBe(c.clock.now())
    await second
    expect(coordinatePutsTo(c, 'p1', since)).toEqual([next])
  })

  it('the next primary is told the first was silent: with N=2 W=2 a fallback stands in at once, still under 2 s', async () => {
    const c = cluster = await startCluster(['p1', 'p2', 'p3', 'p4', 'p5'], { requestTimeoutMs: TIMEOUT_MS })
    const key = findKey(c.peer('p1'), (primaries) => !primaries.slice(0, 2).includes('p1'))
    const [paused, next] = primariesOf(c.peer('p1'), key) as [string, string]
    // Only p1's link to it is cut, so the next primary could still reach it: whether it
    // sends there shows whether it was told (a fully paused peer would also cost it a timeout).
    c.hub.stall('p1', paused)
    const before = c.hub.sent.length
    const started = c.clock.now()
    const pending = c.peer('p1').put(key, bytes('two'), { n: 2, w: 2 })
    const doneAt = settledAt(c, pending)
    await c.clock.advance(ROUTE_AROUND_BOUND_MS - 1)
    expect((doneAt() ?? Infinity) - started).toBeLessThan(ROUTE_AROUND_BOUND_MS)
    const result = await pending
    expect(result.dot[0]).toBe(c.peer(next).actor())
    const sent = c.hub.sent.slice(before)
    expect(sent.find((m) => m.from === 'p1' && m.to === next && m.type === 'coordinate-put')).toBeDefined()
    expect(sent.filter((m) => m.from === next && m.to === paused)).toEqual([])
  })

  it('a slow primary (busy disk) that answers pings is not abandoned: one coordination, one version', async () => {
    const c = cluster = await startCluster(['p1', 'p2', 'p3', 'p4'], { requestTimeoutMs: TIMEOUT_MS })
    // The slow primary answers after 1.7 s: later than a plain 1.5 s timeout, within 2 × 1 s.
    const slowMs = 1700
    const storage = new SlowStorage(new MemoryStorage(), c.clock, slowMs)
    const slowPeer = new Peer({
      network: c.hub.network('p5'),
      storage,
      clock: c.clock,
      signer: new TestSigner('p5'),
      config: { ...TEST_CONFIG, requestTimeoutMs: TIMEOUT_MS }
    })
    c.peers.set('p5', slowPeer)
    await slowPeer.start()
    await settle()
    await c.clock.advance(100)
    const key = findKey(c.peer('p1'), (primaries) => primaries[0] === 'p5' && !primaries.includes('p1'))
    const before = c.hub.sent.length
    storage.slow = true
    const started = c.clock.now()
    const pending = c.peer('p1').put(key, bytes('once'))
    const doneAt = settledAt(c, pending)
    await c.clock.advance(ROUTE_AROUND_BOUND_MS)
    expect((doneAt() ?? Infinity) - started).toBe(slowMs)
    const result = await pending
    expect(result.dot[0]).toBe(slowPeer.actor())
    expect(coordinatePutsTo(c, 'p1', before)).toEqual(['p5'])
    expect(c.hub.sent.slice(before).some((m) => m.from === 'p1' && m.to === 'p5' && m.type === 'ping')).toBe(true)
    storage.slow = false
    await c.clock.advance(ROUTE_AROUND_BOUND_MS)
    // Exactly one version of the write exists anywhere: it was minted once.
    for (const [, clock] of await holders(c, key)) expect(siblings(clock).map((s) => text(s.value as Uint8Array))).toEqual(['once'])
    expect(c.peer('p1').status().members.find((m) => m.id === 'p5')?.reachable).toBe(true)
  })

  it('a fast primary is never pinged', async () => {
    const c = cluster = await startCluster(['p1', 'p2', 'p3', 'p4', 'p5'], { requestTimeoutMs: TIMEOUT_MS })
    const key = findKey(c.peer('p1'), (primaries) => !primaries.includes('p1'))
    const before = c.hub.sent.length
    await c.peer('p1').put(key, bytes('fast'))
    await c.clock.advance(ROUTE_AROUND_BOUND_MS)
    expect(c.hub.sent.slice(before).filter((m) => m.type === 'ping')).toEqual([])
  })
})

describe('a primary that refuses a forwarded put at the sibling cap', () => {
  it('fails with TooManySiblingsError, as a put coordinated here does (HTTP 409), not a remote error', async () => {
    const c = cluster = await startCluster(['p1', 'p2', 'p3', 'p4'], { requestTimeoutMs: TIMEOUT_MS })
    const key = findKey(c.peer('p1'), (primaries) => !primaries.includes('p1'))
    const [primary] = primariesOf(c.peer('p1'), key) as [PeerId]
    // Blind writes at the primary: each is concurrent with every other.
    for (let i = 0; i < LIMITS.siblings; i++) await c.peer(primary).put(key, bytes(`blind-${i}`), { w: 1 })
    await c.clock.advance(100)
    const refused = await c.peer('p1').put(key, bytes('one more'), { w: 1 }).then(() => undefined, (error: unknown) => error)
    expect(refused).toBeInstanceOf(TooManySiblingsError)
    expect((refused as TooManySiblingsError).limit).toBe(LIMITS.siblings)
    expect((refused as TooManySiblingsError).siblings).toBe(LIMITS.siblings + 1)
  })
})

describe('dotFromContext', () => {
  it('takes the coordinator actor with the newest epoch', () => {
    expect(dotFromContext([['a:1', 4], ['a:2', 1], ['ab:9', 7], ['b:1', 3]], 'a')).toEqual(['a:2', 1])
    expect(dotFromContext([['b:1', 3]], 'a')).toBeUndefined()
  })
})
