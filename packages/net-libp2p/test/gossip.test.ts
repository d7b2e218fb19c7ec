import { encodeAnnouncement } from '@ringstore/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { membersTopic } from '../src/node-index.js'
import { record, startPeer, stopAll, waitFor } from './helpers.js'
import type { TestPeer } from './helpers.js'

// A line a — b — c: a and c are not connected, so c hears a only through b's forwarding.
let a: TestPeer
let b: TestPeer
let c: TestPeer

beforeAll(async () => {
  a = await startPeer({ cluster: 'gossip' })
  b = await startPeer({ cluster: 'gossip' })
  c = await startPeer({ cluster: 'gossip' })
  await a.network.dial(b.addr)
  await c.network.dial(b.addr)
})
afterAll(stopAll)

const signature = Uint8Array.from({ length: 64 }, (_, i) => i)

describe('membership gossip', () => {
  it('delivers an announcement to a peer two hops away, authored and intact', async () => {
    expect(a.network.connectedPeers()).not.toContain(c.id)
    // The mesh forms some tens of ms after a dial; announce until it carries (heartbeats do the same).
    let heartbeat = 0
    await waitFor('announcement at c', () => c.announcements.some((x) => x.from === a.id), 10_000,
      () => { a.network.announce({ record: record(a.id, ++heartbeat), signature }) })
    const got = c.announcements.find((x) => x.from === a.id)
    expect(got?.record.id).toBe(a.id)
    expect(got?.record.zone).toBe('z1')
    expect(got?.signature).toEqual(signature)
    expect(b.announcements.some((x) => x.from === a.id)).toBe(true)
    expect(a.network.connectedPeers()).not.toContain(c.id)
  })

  it('drops an announcement whose record is about someone other than its author', async () => {
    const topic = membersTopic('gossip')
    // c claims to speak for a; then c announces itself honestly, as a marker that c's
    // messages do get through.
    const forged = encodeAnnouncement({ signed: { record: record(a.id, 1_000_000), signature } })
    await c.network.node.services.pubsub.publish(topic, forged)
    let heartbeat = 0
    await waitFor('honest announcement from c at a', () => a.announcements.some((x) => x.from === c.id), 10_000,
      () => { c.network.announce({ record: record(c.id, ++heartbeat), signature }) })
    await waitFor('forgery counted at b', () => b.network.stats.forgedAnnouncements >= 1)
    for (const peer of [a, b]) {
      expect(peer.announcements.some((x) => x.record.heartbeat === 1_000_000)).toBe(false)
      expect(peer.announcements.every((x) => x.record.id === x.from)).toBe(true)
    }
    // b rejected it, so it was never forwarded to a.
    expect(a.network.stats.forgedAnnouncements).toBe(0)
  })

  it('refuses to announce a record about another peer, and drops undecodable gossip', async () => {
    const before = b.announcements.length
    a.network.announce({ record: record(c.id, 5), signature })
    await c.network.node.services.pubsub.publish(membersTopic('gossip'), Uint8Array.from([1, 2, 3]))
    await waitFor('garbage counted at b', () => b.network.stats.invalidAnnouncements >= 1)
    expect(b.announcements.slice(before).some((x) => x.record.id === c.id && x.record.heartbeat === 5)).toBe(false)
  })
})
