import { describe, expect, it } from 'vitest'
import { buildRing, emptyClock, update } from '@ringstore/core'
import type { DvvSet, PeerId, Request, Response } from '@ringstore/core'
import type { FailureDetector } from '../src/components.js'
import { memberAccess } from '../src/protocol/replica-access.js'
import { PeerRpc } from '../src/protocol/rpc.js'
import { DEFAULT_CONFIG } from '../src/config.js'
import { PeerUnreachableError } from '../src/errors.js'
import { HintedHandoff } from '../src/cluster/handoff.js'
import { StorageHintStore } from '../src/data/hint-store.js'
import { StorageReplicaStore } from '../src/data/replica-store.js'
import type { Network } from '../src/interfaces.js'
import { createMetrics } from '../src/metrics.js'
import { silentLogger } from '../src/peer.js'
import { MemoryStorage } from '@ringstore/testkit'
import { ManualClock } from '@ringstore/testkit'

const version = (value: string): DvvSet => update(emptyClock(), [], { value: new TextEncoder().encode(value), ts: 1 }, 'me:1')

/** A detector the test drives by hand. */
class ManualDetector implements FailureDetector {
  readonly failures: PeerId[] = []
  readonly #listeners = new Set<(peer: PeerId) => void>()
  isReachable (): boolean { return true }
  reportSuccess (): void {}
  reportFailure (peer: PeerId): void { this.failures.push(peer) }
  onReachable (listener: (peer: PeerId) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  unreachable (): PeerId[] { return [] }
  cameBack (peer: PeerId): void { for (const l of this.#listeners) l(peer) }
}

async function setup (hintBatch = 2) {
  const clock = new ManualClock(0)
  const storage = new MemoryStorage()
  const metrics = createMetrics()
  const config = { ...DEFAULT_CONFIG, hintRetryBaseMs: 100, hintRetryMaxMs: 800, hintBatch }
  const hints = new StorageHintStore({ id: 'me', storage, config, log: silentLogger, metrics, now: () => clock.now() })
  await hints.open()
  const detector = new ManualDetector()
  const requests: Array<{ peer: PeerId, request: Request, at: number }> = []
  let up = false
  const received = new Map<string, DvvSet>()
  const network = {
    localPeer: 'me',
    async request (peer: PeerId, request: Request): Promise<Response> {
      requests.push({ peer, request, at: clock.now() })
      if (!up) throw new PeerUnreachableError(peer)
      if (request.type === 'replica-put-many') for (const [key, clock] of request.items) received.set(key, clock)
      return { type: 'ok' }
    }
  } as unknown as Network
  const ring = buildRing([], config.q)
  const membership = { onRingChange: () => () => undefined, member: () => undefined, ring: () => ring }
  const replicas = new StorageReplicaStore({ id: 'me', storage, config, log: silentLogger, metrics })
  const rpc = new PeerRpc({ network, detector, timeoutMs: config.requestTimeoutMs })
  const handoff = new HintedHandoff({ id: 'me', config, clock, log: silentLogger, metrics, hints, replicas, detector, membership, access: memberAccess(rpc) })
  return { clock, config, hints, replicas, detector, membership, requests, received, handoff, metrics, setUp: (v: boolean) => { up = v } }
}

describe('HintedHandoff', () => {
  it('delivers in batches and deletes what was acknowledged', async () => {
    const t = await setup(2)
    for (const key of ['a', 'b', 'c', 'd', 'e']) await t.hints.add('target', key, version(key))
    t.setUp(true)
    expect(await drive(t.clock, t.handoff.deliverNow())).toBe(5)
    expect(t.hints.pending()).toBe(0)
    expect(t.metrics.hintsDelivered).toBe(5)
    expect([...t.received.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(t.requests.map((r) => (r.request.type === 'replica-put-many' ? r.request.items.length : -1))).toEqual([2, 2, 1])
  })

  it('keeps hints when the target does not answer, and reports it', async () => {
    const t = await setup()
    await t.hints.add('target', 'k', version('v'))
    expect(await t.handoff.deliverNow()).toBe(0)
    expect(t.hints.pending()).toBe(1)
    expect(t.detector.failures).toEqual(['target'])
  })

  it('keeps no timer while it holds no hint; a hint kept later is delivered on the next tick', async () => {
    const t = await setup()
    t.handoff.start()
    // Nothing held: no periodic run (a member's background work costs what it holds).
    expect(t.clock.pendingTimers()).toBe(0)
    await t.clock.advance(1000)
    expect(t.requests).toEqual([])
    t.setUp(true)
    await t.hints.add('target', 'k', version('v'))
    expect(t.clock.pendingTimers()).toBe(1)
    await t.clock.advance(100)
    expect(t.requests.map((r) => r.at)).toEqual([1100])
    expect(t.hints.pending()).toBe(0)
    // Delivered: asleep again.
    await t.clock.advance(1000)
    expect(t.clock.pendingTimers()).toBe(0)
    expect(t.requests.length).toBe(1)
    t.handoff.stop()
  })

  it('backs off exponentially per target up to the maximum, then resets on comeback', async () => {
    const t = await setup()
    await t.hints.add('target', 'k', version('v'))
    t.handoff.start()
    await t.clock.advance(5000)
    const attempts = t.requests.map((r) => r.at)
    // Ticks every 100 ms; after each failure the target waits 100, 200, 400, 800, 800… ms.
    expect(attempts.slice(0, 6)).toEqual([100, 200, 400, 800, 1600, 2400])
    expect(t.hints.pending()).toBe(1)
    // The detector sees the target again: delivery at once, back-off cleared.
    t.setUp(true)
    const before = t.requests.length
    t.detector.cameBack('target')
    await t.clock.advance(0)
    expect(t.requests.length).toBe(before + 1)
    expect(t.hints.pending()).toBe(0)
    expect(t.handoff.backoffOf('target')).toBeUndefined()
    t.handoff.stop()
    expect(t.clock.pendingTimers()).toBe(0)
  })

  it('a hint changed during delivery stays pending', async () => {
    const t = await setup()
    await t.hints.add('target', 'k', version('v1'))
    t.setUp(true)
    const original = t.hints.remove.bind(t.hints)
    t.hints.remove = async (target, delivered) => {
      await t.hints.add('target', 'k', update(emptyClock(), [], { value: new Uint8Array([9]), ts: 2 }, 'other:1'))
      return original(target, delivered)
    }
    expect(await drive(t.clock, t.handoff.deliverNow())).toBe(0)
    expect(t.hints.pending()).toBe(1)
  })

  it('keeps up to 4 batches in flight and deletes each only once acknowledged', async () => {
    const t = await gatedSetup(2)
    for (let i = 0; i < 11; i++) await t.hints.add('target', `k${i}`, version(`v${i}`))
    const delivery = t.handoff.deliverNow()
    await settle(t.clock)
    // 4 batches of 2 in flight, nothing acknowledged yet: every hint still pending.
    expect(t.gates.map((g) => g.items.length)).toEqual([2, 2, 2, 2])
    expect(t.hints.pending()).toBe(11)
    t.gates[1]?.ack()
    await settle(t.clock)
    // One acknowledged: its 2 hints deleted, and the 5th batch takes its slot.
    expect(t.hints.pending()).toBe(9)
    expect(t.gates).toHaveLength(5)
    for (let i = 0; i < 20 && t.gates.some((g) => !g.settled); i++) {
      for (const g of t.gates) if (!g.settled) g.ack()
      await settle(t.clock)
    }
    expect(await drive(t.clock, delivery)).toBe(11)
    expect(t.hints.pending()).toBe(0)
    // Every key sent exactly once, in 6 batches (2+2+2+2+2+1).
    expect(t.gates.flatMap((g) => g.items).sort()).toEqual(Array.from({ length: 11 }, (_, i) => `k${i}`).sort())
    expect(t.gates).toHaveLength(6)
  })

  it('frees a slot when the target acknowledges, before the delivered hints are deleted', async () => {
    const t = await gatedSetup(2)
    for (let i = 0; i < 10; i++) await t.hints.add('target', `k${i}`, version(`v${i}`))
    // Deletions wait until the test lets them go.
    const deletions: Array<() => void> = []
    const original = t.hints.remove.bind(t.hints)
    t.hints.remove = async (target, delivered) => {
      await new Promise<void>((resolve) => deletions.push(resolve))
      return original(target, delivered)
    }
    const delivery = t.handoff.deliverNow()
    await settle(t.clock)
    expect(t.gates).toHaveLength(4)
    t.gates[0]?.ack()
    await settle(t.clock)
    // The 5th batch (read ahead) is on its way while the 1st one's deletion still waits.
    expect(t.gates).toHaveLength(5)
    expect(deletions).toHaveLength(1)
    expect(t.hints.pending()).toBe(10)
    for (const g of t.gates) if (!g.settled) g.ack()
    await settle(t.clock)
    for (const release of deletions) release()
    expect(await drive(t.clock, delivery)).toBe(10)
    expect(t.hints.pending()).toBe(0)
  })

  it('after a failure sends no further batch, keeps what was not acknowledged and backs off once', async () => {
    const t = await gatedSetup(2)
    for (let i = 0; i < 12; i++) await t.hints.add('target', `k${i}`, version(`v${i}`))
    const delivery = t.handoff.deliverNow()
    await settle(t.clock)
    expect(t.gates).toHaveLength(4)
    t.gates[0]?.fail()
    t.gates[1]?.fail()
    t.gates[2]?.ack()
    await settle(t.clock)
    t.gates[3]?.ack()
    expect(await drive(t.clock, delivery)).toBe(4)
    expect(t.gates).toHaveLength(4)
    expect(t.hints.pending()).toBe(8)
    // Two failed requests in one run: one back-off step (base delay), not two.
    expect(t.handoff.backoffOf('target')?.delayMs).toBe(100)
  })

  it('a comeback during a failing run delivers right after it, without waiting for the back-off', async () => {
    const t = await gatedSetup(10)
    await t.hints.add('target', 'k', version('v'))
    t.handoff.start()
    await t.clock.advance(100)
    // The tick's run is in flight (say, a dial to the address that is still down).
    expect(t.gates).toHaveLength(1)
    t.detector.cameBack('target')
    await settle(t.clock)
    expect(t.gates).toHaveLength(1)
    t.gates[0]?.fail()
    await settle(t.clock)
    // The failed run ends; the comeback's run starts at once (no clock advance).
    expect(t.gates).toHaveLength(2)
    t.gates[1]?.ack()
    await settle(t.clock)
    expect(t.hints.pending()).toBe(0)
    expect(t.handoff.backoffOf('target')).toBeUndefined()
    t.handoff.stop()
  })
})

interface Gate {
  readonly items: string[]
  settled: boolean
  ack(): void
  fail(): void
}

/**
 * Lets every pending promise chain run (storage and handoff work are microtask/immediate-driven),
 * firing the 0 ms timers the handoff yields a turn with (read-ahead, deletions) as they come.
 */
async function settle (clock: ManualClock): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    await clock.advance(0)
  }
}

/** Awaits `work` while firing the clock's due timers (a delivery run yields turns through it). */
async function drive<T> (clock: ManualClock, work: Promise<T>): Promise<T> {
  let done = false
  const tracked = work.finally(() => { done = true })
  for (let i = 0; i < 1000 && !done; i++) await clock.advance(0)
  return tracked
}

/** Like setup, but each request waits until the test acknowledges or fails it. */
async function gatedSetup (hintBatch: number) {
  const t = await setup(hintBatch)
  const gates: Gate[] = []
  const network = {
    localPeer: 'me',
    async request (_peer: PeerId, request: Request): Promise<Response> {
      const items = request.type === 'replica-put-many' ? request.items.map(([key]) => key) : []
      return new Promise<Response>((resolve, reject) => {
        const gate: Gate = {
          items,
          settled: false,
          ack () { gate.settled = true; resolve({ type: 'ok' }) },
          fail () { gate.settled = true; reject(new PeerUnreachableError('target')) }
        }
        gates.push(gate)
      })
    }
  } as unknown as Network
  const rpc = new PeerRpc({ network, detector: t.detector, timeoutMs: t.config.requestTimeoutMs })
  return { ...t, gates, handoff: new HintedHandoff({ ...t, id: 'me', log: silentLogger, access: memberAccess(rpc) }) }
}
