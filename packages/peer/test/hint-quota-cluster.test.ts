/**
 * What a hint refused over quota means to the others: a remote `replica-put` or
 * `client-put` with `hintFor` gets an `over-quota` error reply, and a sloppy write whose
 * stand-in (and coordinator) cannot keep the hint fails its quorum with the refusals as
 * the reason, instead of being acknowledged on a hint nobody kept.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Request } from '@ringstore/core'
import { settle } from '@ringstore/testkit'
import { QuorumNotMetError } from '../src/errors.js'
import type { TestCluster } from './cluster-helpers.js'
import { bytes, primariesOf, startCluster } from './cluster-helpers.js'
import { setup, version } from './router-harness.js'

describe('a hint over quota, asked by another peer', () => {
  it('answers over-quota to replica-put and client-put, keeps nothing new, and counts it', async () => {
    const roleOf = (peer: string): 'member' | 'client' => peer === 'tab' ? 'client' : 'member'
    const t = await setup(undefined, roleOf, undefined, [], { hintQuotaPerTargetBytes: 4096 })
    const big = new Uint8Array(5000)
    const fill: Request = { type: 'replica-put', key: 'k0', clock: version('a'), hintFor: 'target' }
    expect(await t.handle('member', fill)).toEqual({ type: 'clock', clock: null })
    const over: Request = { type: 'replica-put', key: 'k1', clock: { ...version('b'), entries: [{ actor: 'x:1', counter: 1, values: [{ value: big, ts: 1 }], ts: 1 }] }, hintFor: 'target' }
    const replyToMember = await t.handle('member', over)
    expect(replyToMember).toMatchObject({ type: 'error', code: 'over-quota' })
    expect(replyToMember.type === 'error' ? replyToMember.message : '').toMatch(/per-target hint quota exceeded .* > 4096\)/)
    const fromTab: Request = { type: 'client-put', key: 'cap/key2key2key2key2key2key2', clock: { entries: [{ actor: 'tab:0', counter: 1, values: [{ value: big, ts: 1 }], ts: 1 }], anonymous: [] }, hintFor: 'target' }
    expect(await t.handle('tab', fromTab)).toMatchObject({ type: 'error', code: 'over-quota' })
    expect(t.hints.pending()).toBe(1)
    expect(t.metrics.hintsRefused['per-target']).toBe(2)
    // Not the sender's fault: no invalid frame is counted against it.
    expect(t.metrics.invalidFrames).toBe(0)
  })
})

describe('a sloppy write whose hint cannot be kept', () => {
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.stopAll()
    cluster = undefined
  })

  /** 4 peers, N=3 W=3; one primary of the key down: the 4th peer is the only stand-in. */
  async function withOnePrimaryDown (quota: number): Promise<{ c: TestCluster, coordinator: string, down: string, standIn: string, key: string }> {
    const c = cluster = await startCluster(['p1', 'p2', 'p3', 'p4'], { w: 3, hintQuotaBytes: quota })
    const key = 'cart:quota'
    const primaries = primariesOf(c.peer('p1'), key)
    const [coordinator, , down] = primaries as [string, string, string]
    const standIn = ['p1', 'p2', 'p3', 'p4'].find((id) => !primaries.includes(id)) as string
    c.hub.isolate(down)
    await settle()
    return { c, coordinator, down, standIn, key }
  }

  it('is acknowledged when the stand-in keeps the hint (the same write, room for it)', async () => {
    const { c, coordinator, standIn, key } = await withOnePrimaryDown(1024 * 1024)
    expect((await c.peer(coordinator).put(key, bytes('hinted'))).acks).toBe(3)
    expect(c.peer(standIn).status().hintsPending).toBe(1)
  })

  it('fails its quorum with the quota as the reason when neither the stand-in nor the coordinator may keep it', async () => {
    const { c, coordinator, down, standIn, key } = await withOnePrimaryDown(16)
    const error = await c.peer(coordinator).put(key, bytes('hinted')).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(QuorumNotMetError)
    const failed = error as QuorumNotMetError
    expect([failed.acks, failed.required]).toEqual([2, 3])
    expect(failed.message).toContain(`peer ${standIn} replied over-quota: hint for ${down} refused: total hint quota exceeded`)
    expect(failed.message).toContain(`this peer: hint for ${down} refused: total hint quota exceeded`)
    for (const id of [standIn, coordinator]) {
      const status = c.peer(id).status()
      expect([status.hintsPending, status.hintBytes, status.metrics.hintsRefused.total], id).toEqual([0, 0, 1])
      expect(status.hintQuota).toMatchObject({ totalBytes: 16 })
    }
    // The version stands on the replicas that took it (anti-entropy brings it to the primary later).
    expect(await c.peer(coordinator).localGet(key)).not.toBeNull()
  })
  /** 3 members and a light peer (a tab): one member down, so the tab must keep the hint for it itself. */
  async function tabWithOneMemberDown (quota: number): Promise<{ c: TestCluster, down: string }> {
    const c = cluster = await startCluster(['p1', 'p2', 'p3'], { w: 3 })
    await c.add('tab', { weight: 0, hintQuotaBytes: quota })
    const down = primariesOf(c.peer('tab'), 'cap/cart-tab-0123456789abcdef')[2] as string
    c.hub.isolate(down)
    await settle()
    return { c, down }
  }

  it('from a light peer counts its own copy only together with the hint it keeps for the member down', async () => {
    const room = await tabWithOneMemberDown(1024 * 1024)
    expect((await room.c.peer('tab').put('cap/cart-tab-0123456789abcdef', bytes('offline-able'))).acks).toBe(3)
    expect(room.c.peer('tab').status().hintsByTarget).toEqual({ [room.down]: 1 })
    await room.c.stopAll()
    const { c, down } = await tabWithOneMemberDown(16)
    const error = await c.peer('tab').put('cap/cart-tab-0123456789abcdef', bytes('offline-able')).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(QuorumNotMetError)
    // Decided as soon as the refusal made 3 unreachable: the two members' acks may not be in yet.
    expect((error as QuorumNotMetError).required).toBe(3)
    expect((error as QuorumNotMetError).acks).toBeLessThan(3)
    expect((error as QuorumNotMetError).message).toContain(`this peer: hint for ${down} refused: total hint quota exceeded`)
    expect(c.peer('tab').status().metrics.hintsRefused.total).toBe(1)
  })

  it('is kept for its primary until the age limit by the injected clock, then expired and counted', async () => {
    const c = cluster = await startCluster(['p1', 'p2', 'p3', 'p4'], { hintMaxAgeMs: 60_000 })
    const key = 'cart:age'
    const primaries = primariesOf(c.peer('p1'), key)
    const [coordinator, , down] = primaries as [string, string, string]
    const standIn = ['p1', 'p2', 'p3', 'p4'].find((id) => !primaries.includes(id)) as string
    c.hub.isolate(down)
    await settle()
    await c.peer(coordinator).put(key, bytes('hinted'))
    expect(c.peer(standIn).status().hintsByTarget).toEqual({ [down]: 1 })
    expect(c.peer(standIn).status().hintBytesByTarget[down]).toBeGreaterThan(0)
    await c.clock.advance(60_000)
    expect(await c.peer(standIn).expireHints()).toBe(0)
    await c.clock.advance(1)
    expect(await c.peer(standIn).expireHints()).toBe(1)
    const status = c.peer(standIn).status()
    expect([status.hintsPending, status.hintBytes, status.metrics.hintsExpired]).toEqual([0, 0, 1])
  })
})
