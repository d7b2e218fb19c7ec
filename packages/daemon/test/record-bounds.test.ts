/**
 * The 8 MiB sibling probe (issue 11) on real daemons. Three daemons that cannot reach each
 * other (each started alone: none knows another's address) each take near-bound concurrent
 * writes of one key: 4 × 900 kB, under the write bound of LIMITS.siblingBytes (4 MiB) on
 * each, 10.8 MB together, more than one frame (LIMITS.frameBytes, 8 MiB). Then they join
 * one cluster (the partition heals). Before the record bounds, replicas of such a key never
 * converged: no reply or push carrying it encoded ("response does not encode"). Now it
 * travels in parts and every daemon answers the same siblings within the anti-entropy period.
 *
 * Then a write past the write bound answers 413 `siblings_too_large`, and a write with the
 * read's context merges the siblings, as the refusal says.
 */
import { LIMITS } from '@ringstore/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTEXT, Fixture, get, metrics, poll, put, replica, waitForCluster } from './support.js'
import type { Daemon, ReplicaBody } from './support.js'

const KEY = 'probe:8mib'
const VALUE_BYTES = 900_000
const WRITES_PER_DAEMON = 4
const AE_INTERVAL_MS = 2_000
/** Within the anti-entropy period: a few rounds of it, plus the joins. */
const CONVERGE_TIMEOUT_MS = 60_000

/** One daemon's siblings of KEY as `first byte:length`, sorted (the values are large). */
function shape (body: ReplicaBody): string[] {
  return body.siblings.map((s) => {
    const bytes = Buffer.from(s.value ?? '', 'base64')
    return `${bytes[0] ?? -1}:${bytes.byteLength}`
  }).sort()
}

describe('siblings of one key larger than a frame (real daemons)', () => {
  const fixture = new Fixture()
  let daemons: Daemon[] = []
  const args = ['--n', '3', '--r', '2', '--w', '1', '--anti-entropy-interval-ms', String(AE_INTERVAL_MS)]

  beforeAll(async () => {
    // Three daemons, each alone: a partition from the start.
    const alone = await Promise.all([1, 2, 3].map(async (i) => await fixture.start(`bounds-${i}`, args)))
    for (const [n, d] of alone.entries()) {
      for (let i = 0; i < WRITES_PER_DAEMON; i++) {
        const reply = await put(d, KEY, new Uint8Array(VALUE_BYTES).fill(16 * n + i))
        expect(reply.status, reply.text).toBe(204)
      }
    }
    // The partition heals: the second and third restart knowing the first's address.
    const [seed, ...others] = alone as [Daemon, Daemon, Daemon]
    const joined = []
    for (const d of others) {
      await fixture.kill(d, 'SIGTERM')
      joined.push(await fixture.start(d.name, [...args, '--bootstrap', seed.tcp]))
    }
    daemons = [seed, ...joined]
    await waitForCluster(daemons)
  }, 120_000)

  afterAll(async () => {
    await fixture.killAll()
  })

  it('every daemon holds and answers the same 12 siblings within the anti-entropy period; nothing fails to encode', async () => {
    const expected = [0, 1, 2].flatMap((n) => Array.from({ length: WRITES_PER_DAEMON }, (_, i) => `${16 * n + i}:${VALUE_BYTES}`)).sort()
    expect(expected.length * VALUE_BYTES).toBeGreaterThan(LIMITS.frameBytes)
    await poll('every daemon holds all 12 siblings', async () => {
      for (const d of daemons) if (JSON.stringify(shape(await replica(d, KEY))) !== JSON.stringify(expected)) return false
      return true
    }, CONVERGE_TIMEOUT_MS, 1_000)
    // Every daemon answers a read the same: 300 with the 12 siblings, and the same context.
    const contexts = new Set<string>()
    for (const d of daemons) {
      const reply = await get(d, KEY)
      expect(reply.status, reply.text.slice(0, 200)).toBe(300)
      const siblings = (reply.json?.siblings ?? []) as Array<{ value: string }>
      expect(siblings.map((s) => { const b = Buffer.from(s.value, 'base64'); return `${b[0] ?? -1}:${b.byteLength}` }).sort()).toEqual(expected)
      contexts.add(reply.context ?? '')
    }
    expect(contexts.size).toBe(1)
    for (const d of daemons) expect(d.stderr.filter((line) => line.includes('does not encode'))).toEqual([])
    // Nothing was skipped: the union is past the write bound, not the storage bound.
    for (const d of daemons) expect((await metrics(d)).get('ringstore_merges_refused_total')).toBe(0)
  })

  it('a write past the write bound answers 413 siblings_too_large and changes nothing; a write with the context merges', async () => {
    const [d] = daemons as [Daemon]
    const before = shape(await replica(d, KEY))
    const refused = await put(d, KEY, 'one more sibling')
    expect(refused.status, refused.text).toBe(413)
    expect(refused.json).toMatchObject({ error: 'siblings_too_large', limit: LIMITS.siblingBytes })
    expect(String(refused.json?.message ?? refused.text)).toMatch(/context/)
    expect(shape(await replica(d, KEY))).toEqual(before)
    const read = await get(d, KEY)
    const merged = await put(d, KEY, 'merged', { context: read.headers.get(CONTEXT) })
    expect(merged.status, merged.text).toBe(204)
    await poll('every daemon holds the merged value', async () => {
      for (const x of daemons) if (JSON.stringify(shape(await replica(x, KEY))) !== JSON.stringify([`${'m'.charCodeAt(0)}:6`])) return false
      return true
    }, CONVERGE_TIMEOUT_MS, 500)
  })
})
