/**
 * Hints of a member that left go to the key's current owners (cluster/handoff.ts
 * #reroute). When an owner's hint quota refuses one, the hint stays for the departed
 * member (no copy dropped, no run failing) and the others are re-routed.
 */
import { describe, expect, it } from 'vitest'
import { buildRing, emptyClock, newMemberRecord, update } from '@ringstore/core'
import type { DvvSet, MemberRecord } from '@ringstore/core'
import { HintedHandoff } from '../src/cluster/handoff.js'
import { DEFAULT_CONFIG } from '../src/config.js'
import { StorageHintStore } from '../src/data/hint-store.js'
import { silentLogger } from '../src/peer.js'
import { createMetrics } from '../src/metrics.js'
import { ManualClock, MemoryStorage } from '@ringstore/testkit'

const version = (size: number): DvvSet => update(emptyClock(), [], { value: new Uint8Array(size), ts: 1 }, 'me:1')

describe('re-routing the hints of a departed member', () => {
  it('keeps for it the hints an owner over quota refuses, and hands over the rest', async () => {
    const clock = new ManualClock(0)
    // Owners a and b (this peer owns nothing); 'gone' has left.
    const owners = ['a', 'b'].map((id) => newMemberRecord({ id, addrs: [], weight: 1, zone: 'z', joinedAt: 1 }))
    const gone: MemberRecord = { ...newMemberRecord({ id: 'gone', addrs: [], weight: 1, zone: 'z', joinedAt: 1 }), status: 'left', leftAt: 2 }
    const config = { ...DEFAULT_CONFIG, q: 16, n: 2, hintQuotaPerTargetBytes: 3200, hintQuotaBytes: 1_000_000 }
    const metrics = createMetrics()
    const hints = new StorageHintStore({ id: 'me', storage: new MemoryStorage(), config, log: silentLogger, metrics, now: () => clock.now() })
    await hints.open()
    // b's quota (3200 bytes) holds what it has and one more of these hints, not two.
    await hints.add('b', 'already', version(1000))
    await hints.add('gone', 'k1', version(1500))
    await hints.add('gone', 'k2', version(1500))
    const ring = buildRing(owners, config.q)
    const members = [...owners, gone]
    const membership = { onRingChange: () => () => undefined, member: (id: string) => members.find((m) => m.id === id), ring: () => ring }
    const unused = (): never => { throw new Error('not used by a re-route') }
    const handoff = new HintedHandoff({
      id: 'me', config, clock, log: silentLogger, metrics, hints, membership,
      replicas: { partitions: unused, keysInPartition: unused, merge: unused },
      detector: { onReachable: () => () => undefined },
      access: { putMany: unused }
    })
    expect(await handoff.deliverNow()).toBe(1)
    // One of k1, k2 reached both owners; the other is still held for the departed member.
    expect([hints.pendingFor('a'), hints.pendingFor('b'), hints.pendingFor('gone')]).toEqual([2, 2, 1])
    expect(metrics.hintsRefused['per-target']).toBeGreaterThan(0)
    expect(hints.bytesFor('b')).toBeLessThanOrEqual(3200)
    // Once b has room (its hints were delivered), the held one follows.
    await hints.remove('b', await hints.batch('b', 10))
    expect(await handoff.deliverNow()).toBe(1)
    expect([hints.pendingFor('a'), hints.pendingFor('b'), hints.pendingFor('gone')]).toEqual([2, 1, 0])
  })
})
