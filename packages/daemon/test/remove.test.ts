/**
 * `ringstore remove` against real daemons: 4 members at N=3, one is SIGKILLed while
 * writes go on (its fallbacks keep hints for it), then the operator removes it with the
 * cluster's secret through another daemon. Every survivor drops it from its ring (exactly
 * its partitions move), the hints kept for it reach the new owners, every key is held by
 * all 3 of its new replicas and reads back, and the removed member, restarted, is refused.
 */
import { countMoved, partitionOf, preferenceList } from '@ringstore/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createSecretFile } from '../src/cluster-secret.js'
import { Fixture, get, poll, put, replica, replicaValues, startCluster, tokenOf } from './support.js'
import type { Daemon } from './support.js'
import { ringOf, statusJson } from './ring-status.js'

const fixture = new Fixture()
const KEYS = Array.from({ length: 90 }, (_, i) => `remove-key-${i}`)
const valueOf = (key: string): string => `value of ${key}`
let daemons: Daemon[]

beforeAll(async () => {
  daemons = await startCluster(fixture, 'rm', 4, ['--n', '3', '--r', '2', '--w', '2', '--anti-entropy-interval-ms', '1000'])
}, 90_000)
afterAll(async () => { await fixture.killAll() })

function run (args: readonly string[]): ReturnType<Fixture['spawnRaw']> {
  return fixture.spawnRaw(args)
}

describe('ringstore remove', () => {
  it('removes a dead member: its partitions move, its hints reach the new owners, every key keeps 3 copies; it is refused after', async () => {
    const [first, second, third, dead] = daemons as [Daemon, Daemon, Daemon, Daemon]
    const survivors = [first, second, third]
    for (const key of KEYS.slice(0, 45)) expect((await put(first, key, valueOf(key), { w: 3 })).status).toBe(204)
    const before = ringOf(await statusJson(first))
    expect(before.owners.filter((o) => o === dead.peerId).length).toBeGreaterThan(0)
    await fixture.kill(dead)
    for (const key of KEYS.slice(45)) expect((await put(second, key, valueOf(key), { w: 2 })).status).toBe(204)
    await poll('hints kept for the dead member', async () => ((await statusJson(first)).hintsByTarget[dead.peerId] ?? 0) +
      ((await statusJson(second)).hintsByTarget[dead.peerId] ?? 0) + ((await statusJson(third)).hintsByTarget[dead.peerId] ?? 0) > 0)

    // A secret of another cluster is refused, and changes nothing.
    const otherSecret = await createSecretFile(join(await fixture.dir(), 'other.secret'))
    const refused = run(['remove', dead.peerId, '--cluster-secret', otherSecret, '--data-dir', first.dataDir])
    expect((await refused.exited).code).toBe(1)
    expect(refused.stderr.join('\n')).toMatch(/secret of cluster/)
    expect(ringOf(await statusJson(first)).owners).toEqual(before.owners)

    const removal = run(['remove', dead.peerId, '--cluster-secret', await fixture.secret(), '--data-dir', first.dataDir])
    expect((await removal.exited).code, removal.stderr.join('\n')).toBe(0)
    expect(JSON.parse(removal.stdout.join('\n'))).toMatchObject({ removed: dead.peerId, by: first.peerId, fresh: true })

    // Gossiped: every survivor routes without it, and exactly its partitions moved.
    for (const d of survivors) {
      const after = await poll(`${d.name} drops the removed member`, async () => {
        const s = await statusJson(d)
        const ring = ringOf(s)
        return ring.owners.includes(dead.peerId) ? false : { s, ring }
      })
      expect(after.s.members.find((m) => m.peerId === dead.peerId)?.status).toBe('left')
      expect(countMoved(before, after.ring)).toBe(before.owners.filter((o) => o === dead.peerId).length)
      after.ring.owners.forEach((owner, partition) => {
        if (before.owners[partition] !== dead.peerId) expect(owner).toBe(before.owners[partition])
      })
    }
    // The hints kept for it went to the new owners, and anti-entropy restored 3 copies.
    await poll('no hints left anywhere', async () => {
      for (const d of survivors) if ((await statusJson(d)).hintsPending > 0) return false
      return true
    }, 60_000)
    const ring = ringOf(await statusJson(first))
    await poll('every key held by its 3 replicas', async () => {
      for (const key of KEYS) {
        for (const owner of preferenceList(ring, partitionOf(key, ring.q), 3)) {
          const d = survivors.find((s) => s.peerId === owner) as Daemon
          if (replicaValues(await replica(d, key)).join() !== valueOf(key)) return false
        }
      }
      return true
    }, 60_000)
    for (const key of KEYS) {
      const read = await get(third, key, { r: 3 })
      expect([read.status, new TextDecoder().decode(read.bytes)]).toEqual([200, valueOf(key)])
    }

    // The removed member comes back on its data dir: nobody takes it again.
    const back = await fixture.restart(dead)
    await poll('the restarted member connects', async () => (await statusJson(back)).connected > 0)
    expect((await put(back, KEYS[0] as string, 'from a removed member', { w: 2 })).status).toBe(503)
    for (const d of survivors) {
      expect(ringOf(await statusJson(d)).owners).not.toContain(dead.peerId)
      const read = await get(d, KEYS[0] as string, { r: 3 })
      expect(new TextDecoder().decode(read.bytes)).toBe(valueOf(KEYS[0] as string))
    }
  })

  it('a daemon refuses its own removal, and a removal that is not the authority\'s', async () => {
    const [first, second] = daemons as [Daemon, Daemon]
    const self = run(['remove', first.peerId, '--cluster-secret', await fixture.secret(), '--http', first.http, '--http-token-file', first.ready.tokenFile])
    expect((await self.exited).code).toBe(1)
    expect(self.stderr.join('\n')).toMatch(/cannot_remove_self/)
    const garbage = await fetch(`${second.http}/admin/remove`, { method: 'POST', headers: { authorization: `Bearer ${tokenOf(second.http)}` }, body: JSON.stringify({ removal: 'AAAA' }) })
    expect(garbage.status).toBe(400)
    expect(((await garbage.json()) as { error: string }).error).toBe('bad_removal')
    const fromPage = await fetch(`${second.http}/admin/remove`, { method: 'POST', headers: { origin: 'http://evil.example', authorization: `Bearer ${tokenOf(second.http)}` }, body: '{}' })
    expect(fromPage.status).toBe(403)
    expect(ringOf(await statusJson(second)).owners).toContain(first.peerId)
  })
})
