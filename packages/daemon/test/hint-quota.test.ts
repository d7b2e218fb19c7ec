/**
 * The hint quota against real daemons (issue 11: "On a 30 MB volume a remote peer filled it
 * with hints and the daemon died within a second"). Three daemons with small quotas set by
 * flag; two of them are killed, so hints for them pile up on the third. A libp2p peer of
 * the test's own floods that daemon with `client-put`s carrying `hintFor` one of the dead
 * members (the client surface, open to any peer: no admission needed), until first the
 * per-target and then the total quota refuse them. The daemon keeps running, answers
 * `over-quota`, keeps exactly what fits, and shows bytes and refusals on /status and
 * /metrics, before and after a restart.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { DvvSet, Response } from '@ringstore/core'
import { createNodeLibp2p } from '@ringstore/net-libp2p/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, http, metrics, startCluster } from './support.js'
import type { Daemon } from './support.js'
import { openRpcStream } from './rpc-client.js'
import type { RpcStream } from './rpc-client.js'

const KIB = 1024
const PER_TARGET = 96 * KIB
const TOTAL = 160 * KIB
const VALUE_BYTES = 16 * KIB
/** Puts per dead member: several times what its quota holds. */
const FLOOD = 24

const fixture = new Fixture()
let victim: Daemon
let dead: [Daemon, Daemon]
let attacker: Awaited<ReturnType<typeof createNodeLibp2p>>
let stream: RpcStream

interface HintStatus {
  hintsPending: number
  hintsByTarget: Record<string, number>
  hintBytes: number
  hintBytesByTarget: Record<string, number>
  hintQuota: { totalBytes: number, perTargetBytes: number, maxAgeMs: number }
  hintsRefused: { total: number, 'per-target': number }
  hintsExpired: number
}

const hintStatus = async (d: Daemon): Promise<HintStatus> => (await http(d.http, 'GET', '/status')).json as unknown as HintStatus

beforeAll(async () => {
  const daemons = await startCluster(fixture, 'hq', 3, ['--hint-quota', '160KiB', '--hint-quota-per-target', `${PER_TARGET}`, '--hint-max-age', '7d'])
  victim = daemons[0] as Daemon
  dead = [daemons[1] as Daemon, daemons[2] as Daemon]
  for (const d of dead) await fixture.kill(d)
  attacker = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  await attacker.start()
  await attacker.dial(multiaddr(victim.tcp))
  stream = await openRpcStream(attacker, victim.peerId)
}, 90_000)
afterAll(async () => {
  stream?.abort()
  await attacker?.stop()
  await fixture.killAll()
})

/** A version of the attacker's own (what client-put keeps of a client's write), `VALUE_BYTES` long. */
function ownVersion (i: number): DvvSet {
  const value = new Uint8Array(VALUE_BYTES).fill(i % 251)
  return { entries: [{ actor: `${attacker.peerId.toString()}:0`, counter: 1, values: [{ value, ts: 1 }], ts: 1 }], anonymous: [] }
}

async function flood (target: Daemon): Promise<Response[]> {
  const replies: Response[] = []
  for (let i = 0; i < FLOOD; i++) {
    replies.push(await stream.request({ type: 'client-put', key: `cap/flood-capability-key-${target.name}/${i}`, clock: ownVersion(i), hintFor: target.peerId }))
  }
  return replies
}

/** How many replies were acks before the first refusal, and that every later one is a refusal. */
function acceptedThenRefused (replies: readonly Response[], quota: 'per-target' | 'total'): number {
  const accepted = replies.findIndex((r) => r.type === 'error')
  expect(accepted, 'some hints were refused').toBeGreaterThan(0)
  expect(replies.slice(0, accepted).every((r) => r.type === 'clock')).toBe(true)
  for (const reply of replies.slice(accepted)) {
    expect(reply).toMatchObject({ type: 'error', code: 'over-quota' })
    expect(reply.type === 'error' ? reply.message : '').toContain(`${quota} hint quota exceeded`)
  }
  return accepted
}

describe('a daemon flooded with hints for members that are down', () => {
  it('refuses them over quota, per target then in total, keeps running, and reports it', async () => {
    const [first, second] = dead
    const acceptedFirst = acceptedThenRefused(await flood(first), 'per-target')
    // The per-target quota holds: the other dead member still gets hints, until the total is reached.
    const acceptedSecond = acceptedThenRefused(await flood(second), 'total')
    expect(acceptedSecond).toBeLessThan(acceptedFirst)
    expect(victim.process.exitCode).toBeNull()

    const s = await hintStatus(victim)
    expect(s.hintQuota).toEqual({ totalBytes: TOTAL, perTargetBytes: PER_TARGET, maxAgeMs: 7 * 24 * 3_600_000 })
    expect(s.hintsByTarget).toEqual({ [first.peerId]: acceptedFirst, [second.peerId]: acceptedSecond })
    expect(s.hintBytesByTarget[first.peerId]).toBeLessThanOrEqual(PER_TARGET)
    expect(s.hintBytesByTarget[first.peerId]).toBeGreaterThan(PER_TARGET - 2 * VALUE_BYTES)
    expect(s.hintBytes).toBe((s.hintBytesByTarget[first.peerId] ?? 0) + (s.hintBytesByTarget[second.peerId] ?? 0))
    expect(s.hintBytes).toBeLessThanOrEqual(TOTAL)
    expect(s.hintsRefused).toEqual({ 'per-target': FLOOD - acceptedFirst, total: FLOOD - acceptedSecond })
    expect(s.hintsExpired).toBe(0)

    const m = await metrics(victim)
    expect(m.get('ringstore_hint_bytes')).toBe(s.hintBytes)
    expect(m.get(`ringstore_hint_target_bytes{target="${first.peerId}"}`)).toBe(s.hintBytesByTarget[first.peerId])
    expect(m.get('ringstore_hint_quota_bytes{quota="total"}')).toBe(TOTAL)
    expect(m.get('ringstore_hint_quota_bytes{quota="per-target"}')).toBe(PER_TARGET)
    expect(m.get('ringstore_hint_max_age_seconds')).toBe(7 * 24 * 3600)
    expect(m.get('ringstore_hints_refused_total{quota="per-target"}')).toBe(FLOOD - acceptedFirst)
    expect(m.get('ringstore_hints_refused_total{quota="total"}')).toBe(FLOOD - acceptedSecond)
    expect(m.get('ringstore_hints_expired_total')).toBe(0)
    expect(m.get('ringstore_hints_pending')).toBe(acceptedFirst + acceptedSecond)

    // ringstore status: one line on hints, with the refusals.
    const table = fixture.spawnRaw(['status', '--http', victim.http.replace('http://', ''), '--http-token-file', victim.ready.tokenFile])
    expect((await table.exited).code).toBe(0)
    expect(table.stdout.join('\n')).toMatch(new RegExp(`hints: [0-9.]+ MiB held, quota 0\\.156 MiB \\(0\\.094 MiB per member\\)   refused ${2 * FLOOD - acceptedFirst - acceptedSecond}   expired 0 \\(max age 7 d\\)`))
  }, 60_000)

  it('still serves its own writes and reads, and counts the same bytes after a restart', async () => {
    const written = await http(victim.http, 'PUT', '/kv/after-the-flood?w=1', { body: 'still here' })
    expect(written.status).toBe(204)
    expect((await http(victim.http, 'GET', '/kv/after-the-flood?r=1')).text).toBe('still here')
    // The write was hinted for its two dead primaries only where the quotas let it.
    const before = await hintStatus(victim)
    expect(before.hintBytes).toBeLessThanOrEqual(TOTAL)
    await fixture.kill(victim, 'SIGTERM')
    victim = await fixture.restart(victim)
    const after = await hintStatus(victim)
    expect([after.hintBytes, after.hintBytesByTarget, after.hintsByTarget]).toEqual([before.hintBytes, before.hintBytesByTarget, before.hintsByTarget])
    // Rebuilt from the store, not reset: the quota still refuses.
    const reconnected = await openRpcStream(attacker, victim.peerId).catch(async () => {
      await attacker.dial(multiaddr(victim.tcp))
      return await openRpcStream(attacker, victim.peerId)
    })
    try {
      const reply = await reconnected.request({ type: 'client-put', key: 'cap/flood-capability-after-restart', clock: ownVersion(1), hintFor: dead[0].peerId })
      expect(reply).toMatchObject({ type: 'error', code: 'over-quota' })
    } finally {
      reconnected.abort()
    }
  }, 60_000)
})
