/**
 * The HTTP key-value API across real daemons on loopback: N=3 R=2 W=2 over 3 and 5
 * daemons; reads anywhere see writes made anywhere; contexts supersede exactly what was
 * read; concurrent writes from stale contexts come back as siblings (300) and a write
 * with the merged context collapses them; deletes stay deleted; data lands on exactly the
 * preference list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, del, get, metrics, poll, put, replica, replicaValues, startCluster } from './support.js'
import type { Daemon } from './support.js'

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

describe('three daemons, N=3 R=2 W=2', () => {
  const fixture = new Fixture()
  let a: Daemon, b: Daemon, c: Daemon

  beforeAll(async () => {
    [a, b, c] = await startCluster(fixture, 'kv3', 3, ['--n', '3', '--r', '2', '--w', '2']) as [Daemon, Daemon, Daemon]
  })
  afterAll(async () => { await fixture.killAll() })

  it('puts through one daemon and reads through the others; overwrites with the context; deletes', async () => {
    const first = await put(a, 'user/42', 'alice')
    expect(first.status).toBe(204)
    // Opaque: the context and its seal (http/context-seal.ts).
    expect(first.context).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/)

    for (const d of [a, b, c]) {
      const read = await get(d, 'user/42')
      expect(read.status).toBe(200)
      expect(text(read.bytes)).toBe('alice')
      expect(read.headers.get('content-type')).toBe('application/octet-stream')
      expect(read.context).not.toBeNull()
    }

    // Read through one daemon, written through another: every daemon of the cluster checks
    // the contexts any other sealed.
    const read = await get(a, 'user/42')
    expect((await put(b, 'user/42', 'alice v2', { context: read.context })).status).toBe(204)
    // The write superseded what was read: one value, not two siblings.
    const after = await get(c, 'user/42', { r: 3 })
    expect(after.status).toBe(200)
    expect(text(after.bytes)).toBe('alice v2')

    expect((await del(c, 'user/42', after.context ?? '')).status).toBe(204)
    for (const d of [a, b, c]) {
      const gone = await get(d, 'user/42')
      expect(gone.status).toBe(404)
      expect(gone.json).toMatchObject({ error: 'not_found' })
      // The tombstone's context, so that a client can write over the delete causally.
      expect(gone.context).not.toBeNull()
    }
    const gone = await get(a, 'user/42')
    expect((await put(a, 'user/42', 'bob', { context: gone.context })).status).toBe(204)
    const back = await get(b, 'user/42')
    expect([back.status, text(back.bytes)]).toEqual([200, 'bob'])
  })

  it('answers 404 without a context for a key never written', async () => {
    const missing = await get(b, 'never-written')
    expect(missing.status).toBe(404)
    expect(missing.context).toBeNull()
  })

  it('keeps concurrent writes from a stale context as siblings (300) until a write with the merged context', async () => {
    expect((await put(a, 'cart', 'apple')).status).toBe(204)
    const base = await get(a, 'cart')
    // Two writers both read `base`, then each writes without seeing the other.
    expect((await put(a, 'cart', 'apple,pear', { context: base.context })).status).toBe(204)
    expect((await put(b, 'cart', 'apple,plum', { context: base.context })).status).toBe(204)

    const before = await metrics(c)
    const conflict = await get(c, 'cart')
    expect(conflict.status).toBe(300)
    const body = conflict.json as { context: string, siblings: Array<{ value: string }> }
    expect(body.context).toBe(conflict.context)
    const values = body.siblings.map((s) => Buffer.from(s.value, 'base64').toString('utf8')).sort()
    expect(values).toEqual(['apple,pear', 'apple,plum'])
    const after = await metrics(c)
    expect(after.get('ringstore_siblings_on_read_count')).toBe((before.get('ringstore_siblings_on_read_count') ?? 0) + 1)
    expect(after.get('ringstore_siblings_on_read_sum')).toBe((before.get('ringstore_siblings_on_read_sum') ?? 0) + 2)

    // A stale write (from `base` again) adds a third sibling: it saw neither.
    expect((await put(c, 'cart', 'apple,fig', { context: base.context })).status).toBe(204)
    const three = await get(a, 'cart')
    expect(three.status).toBe(300)
    expect((three.json as { siblings: unknown[] }).siblings).toHaveLength(3)

    // The merge, written with the context of the read that saw all three, collapses them.
    expect((await put(b, 'cart', 'apple,fig,pear,plum', { context: three.context })).status).toBe(204)
    for (const d of [a, b, c]) {
      const merged = await get(d, 'cart', { r: 3 })
      expect([merged.status, text(merged.bytes)]).toEqual([200, 'apple,fig,pear,plum'])
    }
  })

  it('honours per-request n, r and w, and counts requests in /metrics', async () => {
    expect((await put(a, 'solo', 'x', { n: 1, w: 1 })).status).toBe(204)
    const read = await get(a, 'solo', { n: 1, r: 1 })
    expect([read.status, text(read.bytes)]).toEqual([200, 'x'])
    const m = await metrics(a)
    expect(m.get('ringstore_requests_total{op="put"}')).toBeGreaterThanOrEqual(1)
    expect(m.get('ringstore_request_duration_seconds_count{op="put"}')).toBeGreaterThanOrEqual(1)
    expect(m.get('ringstore_quorum_failures_total{op="put"}')).toBe(0)
  })

  it('serves binary values byte for byte', async () => {
    const value = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff)
    expect((await put(c, 'blob', value)).status).toBe(204)
    const read = await get(a, 'blob')
    expect(read.status).toBe(200)
    expect(Buffer.from(read.bytes).equals(Buffer.from(value))).toBe(true)
  })
})

describe('five daemons, N=3 R=2 W=2', () => {
  const fixture = new Fixture()
  let daemons: Daemon[]

  beforeAll(async () => {
    daemons = await startCluster(fixture, 'kv5', 5, ['--n', '3', '--r', '2', '--w', '2'])
  })
  afterAll(async () => { await fixture.killAll() })

  it('spreads keys over the ring: each key on exactly its 3 preference-list daemons, readable from all 5', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `item-${i}`)
    await Promise.all(keys.map(async (key, i) => {
      const reply = await put(daemons[i % 5] as Daemon, key, `value of ${key}`)
      expect(reply.status, reply.text).toBe(204)
    }))
    const owned = new Map<string, number>()
    for (const [i, key] of keys.entries()) {
      const read = await get(daemons[(i + 2) % 5] as Daemon, key)
      expect([read.status, text(read.bytes)]).toEqual([200, `value of ${key}`])
      // The W=2 write reaches the third replica moments later: wait for it, then check
      // that the holders are exactly the preference list.
      const preference = (await replica(daemons[0] as Daemon, key)).preferenceList
      expect(preference).toHaveLength(3)
      await poll(`${key} on its 3 replicas`, async () => {
        const copies = await Promise.all(daemons.map(async (d) => ({ id: d.peerId, r: await replica(d, key) })))
        const holders = copies.filter((x) => x.r.found).map((x) => x.id).sort()
        return holders.length === 3 && holders.join() === [...preference].sort().join() && copies.every((x) => x.r.found === false || replicaValues(x.r).join() === `value of ${key}`)
      }, 10_000)
      for (const id of preference) owned.set(id, (owned.get(id) ?? 0) + 1)
    }
    // 40 keys × 3 replicas over 5 daemons: nobody holds everything, everybody holds some.
    expect(owned.size).toBe(5)
    for (const count of owned.values()) expect(count).toBeLessThan(40)
  })
})
