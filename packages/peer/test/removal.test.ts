/**
 * An operator removes a dead member (Dynamo §4.8.1's explicit removal; docs/trust.md):
 * real Peers of an admitted cluster over the loopback network. The removed member's
 * partitions, and only those, move to the others; anti-entropy restores N copies from the
 * survivors; the hints kept for it go to the new owners instead of piling up; nothing
 * acknowledged is lost; and the member, were it to come back, is refused.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { encodeRemoval, siblings } from '@ringstore/core'
import type { Removal, SignedRemoval } from '@ringstore/core'
import { TestSigner, settle } from '@ringstore/testkit'
import type { TestCluster } from './cluster-helpers.js'
import { bytes, holders, primariesOf, startCluster, text, totalHints } from './cluster-helpers.js'

const AUTHORITY = 'authority'
let cluster: TestCluster | undefined
afterEach(async () => { await cluster?.stopAll(); cluster = undefined })

async function removal (peer: string, removedAt: number): Promise<SignedRemoval> {
  const removed: Removal = { cluster: AUTHORITY, peer, removedAt }
  return { removal: removed, signature: await new TestSigner(AUTHORITY).sign(encodeRemoval(removed)) }
}

const SURVIVORS = ['p1', 'p2', 'p3', 'p4']

describe('removing a dead member', () => {
  it('moves exactly its partitions, restores N copies, re-routes its hints, loses nothing, and refuses it after', async () => {
    const c = cluster = await startCluster([...SURVIVORS, 'p5'], { clusterId: AUTHORITY })
    await c.clock.advance(3_000)
    const before = c.peer('p1').ring()
    expect(new Set(before.owners)).toEqual(new Set([...SURVIVORS, 'p5']))
    const written = new Map<string, string>()
    for (let i = 0; i < 40; i++) {
      written.set(`k${i}`, `v${i}`)
      await c.peer(SURVIVORS[i % 4] as string).put(`k${i}`, bytes(`v${i}`), { w: 3 })
    }
    // p5 dies; writes go on, and its fallbacks keep hints for it.
    const dead = await c.peer('p5')
    await dead.stop()
    c.hub.isolate('p5')
    await c.clock.advance(3_000)
    for (let i = 40; i < 80; i++) {
      written.set(`k${i}`, `v${i}`)
      await c.peer(SURVIVORS[i % 4] as string).put(`k${i}`, bytes(`v${i}`), { w: 2 })
    }
    await settle()
    expect(totalHints(c)).toBeGreaterThan(0)

    expect(await c.peer('p2').remove(await removal('p5', c.clock.now()))).toBe(true)
    await settle()
    for (const id of SURVIVORS) {
      const after = c.peer(id).ring()
      expect(new Set(after.owners), id).toEqual(new Set(SURVIVORS))
      // Exactly p5's partitions moved: every other partition kept its owner.
      after.owners.forEach((owner, partition) => {
        if (before.owners[partition] !== 'p5') expect(owner).toBe(before.owners[partition])
      })
    }
    // Background work, as the timers would run it: hand-off of hints, anti-entropy, transfer.
    for (let round = 0; round < 4; round++) {
      for (const id of SURVIVORS) {
        const peer = c.peer(id)
        await peer.deliverHints()
        await peer.runAntiEntropyRound()
        await peer.runTransfer()
      }
      await c.clock.advance(5_000)
    }
    expect(totalHints(c)).toBe(0)
    for (const [key, value] of written) {
      const primaries = primariesOf(c.peer('p1'), key)
      expect(primaries).not.toContain('p5')
      const held = await holders(c, key)
      for (const primary of primaries) {
        const clock = held.get(primary)
        expect(clock === undefined ? [] : siblings(clock).map((s) => text(s.value as Uint8Array)), `${key} at ${primary}`).toEqual([value])
      }
      expect((await c.peer('p3').get(key, { r: 3 })).values.map(text)).toEqual([value])
    }

    // p5 comes back over its old storage: nobody takes it as a member again.
    c.hub.healAll()
    const back = await c.restartWith('p5', c.storages.get('p5') ?? (() => { throw new Error('no storage') })(), { crashed: true })
    await c.clock.advance(5_000)
    await settle()
    for (const id of SURVIVORS) {
      expect(new Set(c.peer(id).ring().owners)).toEqual(new Set(SURVIVORS))
      expect(c.peer(id).removals().map((r) => r.removal.peer)).toEqual(['p5'])
    }
    // Its requests are refused: a write it coordinates reaches none of the members.
    await expect(back.put('k0', bytes('from a removed member'), { w: 2 })).rejects.toThrow()
    expect((await c.peer('p1').get('k0', { r: 3 })).values.map(text)).toEqual(['v0'])
  })
})
