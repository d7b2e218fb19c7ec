/**
 * `ringstore leave` on real daemons (3 daemons, N=2, 200 keys written at W=2): the leaver
 * hands off and stops (exit 0 for both the command and the daemon), the others' rings no
 * longer name it and moved exactly its partitions (the rings rebuilt from the member
 * tables the daemons report, checked against what they route by), both replicas of every
 * key hold it afterwards and every key reads at R=2, and the left data dir refuses a
 * restart. Plus `ringstore status` (table and --json) before and after, and the
 * /admin/leave route's refusals.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { countMoved, partitionOf, preferenceList } from '@ringstore/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fixture, get, http, poll, put, replica, replicaValues, startCluster } from './support.js'
import type { Daemon } from './support.js'
import { ringOf, statusJson } from './ring-status.js'
import type { StatusJson } from './ring-status.js'

const N = 2
const KEYS = Array.from({ length: 200 }, (_, i) => `leave-key-${i}`)
const valueOf = (key: string): string => `value of ${key}`

describe('help', () => {
  const fixture = new Fixture()
  afterAll(async () => { await fixture.killAll() })

  it('ringstore --help lists leave and status; each has its own --help', async () => {
    const main = fixture.spawnRaw(['--help'])
    expect((await main.exited).code).toBe(0)
    expect(main.stdout.join('\n')).toMatch(/ringstore status \[--data-dir DIR \| --http HOST:PORT --http-token-file FILE\] \[--json\]/)
    expect(main.stdout.join('\n')).toMatch(/ringstore leave \[--data-dir DIR \| --http HOST:PORT --http-token-file FILE\] \[--timeout SECONDS\]/)
    for (const [command, flags] of [['leave', ['--data-dir', '--http', '--timeout', 'never starts again']], ['status', ['--data-dir', '--http', '--json', 'admission']]] as const) {
      const run = fixture.spawnRaw([command, '--help'])
      expect((await run.exited).code).toBe(0)
      for (const flag of flags) expect(run.stdout.join('\n')).toContain(flag)
    }
  })

  it('exits 2 for a bad command line', async () => {
    for (const [args, message] of [
      [['leave', '--timeout', 'soon'], /--timeout must be an integer/],
      [['status', '--http', 'h:1', '--data-dir', 'd'], /give --data-dir or --http, not both/],
      [['status', '--http', 'nowhere'], /--http must be HOST:PORT/]
    ] as const) {
      const run = fixture.spawnRaw([...args])
      expect((await run.exited).code).toBe(2)
      expect(run.stderr.join('\n')).toMatch(message)
    }
  })
})

describe('ringstore leave', () => {
  const fixture = new Fixture()
  let daemons: Daemon[]
  let leaver: Daemon
  let stayers: Daemon[]

  beforeAll(async () => {
    daemons = await startCluster(fixture, 'leave', 3, ['--n', String(N), '--r', String(N), '--w', String(N)])
    ;[, leaver] = daemons as [Daemon, Daemon, Daemon]
    stayers = daemons.filter((d) => d !== leaver)
  })
  afterAll(async () => { await fixture.killAll() })

  it('ringstore status prints the members, their admission, the ring and hints', async () => {
    const [first] = daemons as [Daemon]
    // Each member's certificate is noted from its gossip: wait until every one was heard.
    const body = await poll('every member\'s admission seen', async () => {
      const run = fixture.spawnRaw(['status', '--data-dir', first.dataDir, '--json'])
      expect((await run.exited).code).toBe(0)
      const parsed = JSON.parse(run.stdout.join('\n')) as StatusJson
      return parsed.members.every((m) => m.admission !== null) ? parsed : false
    })
    expect(body.peerId).toBe(first.peerId)
    expect(body.members.map((m) => m.peerId).sort()).toEqual(daemons.map((d) => d.peerId).sort())
    for (const m of body.members) {
      expect(m).toMatchObject({ status: 'active', reachable: true, admitted: true, admission: { cluster: body.clusterId, peer: m.peerId, maxWeight: 1, zone: 'default' } })
    }
    const counts = body.ring.members.map((m) => m.partitions)
    expect(body.ring.partitionsPerMember).toEqual({ min: Math.min(...counts), max: Math.max(...counts), mean: Math.round(body.ring.q / 3 * 100) / 100 })
    expect(body.hintsPending).toBe(0)
    expect(body.hintsByTarget).toEqual({})
    expect(typeof body.keys).toBe('number')

    // The table, through --http this time: one row per member, the ring's balance.
    const table = fixture.spawnRaw(['status', '--http', first.http.replace('http://', ''), '--http-token-file', first.ready.tokenFile])
    expect((await table.exited).code).toBe(0)
    const text = table.stdout.join('\n')
    for (const d of daemons) expect(text).toContain(d.peerId)
    expect(text).toMatch(/MEMBER.*STATUS.*REACHABLE.*PARTITIONS.*ADMITTED/)
    expect(text).toContain(`per owner min ${Math.min(...counts)}, max ${Math.max(...counts)}`)
    expect(text).toContain('hints pending 0')
  })

  it('the admin route refuses web pages, a wrong peer id and a malformed body, and reports progress', async () => {
    const origin = await http(leaver.http, 'POST', '/admin/leave', { body: JSON.stringify({ peerId: leaver.peerId }), headers: { Origin: 'http://example.com', 'Content-Type': 'text/plain' } })
    expect([origin.status, origin.json?.error]).toEqual([403, 'forbidden_origin'])
    const wrong = await http(leaver.http, 'POST', '/admin/leave', { body: JSON.stringify({ peerId: stayers[0]?.peerId }) })
    expect([wrong.status, wrong.json?.error]).toEqual([409, 'wrong_peer'])
    const garbage = await http(leaver.http, 'POST', '/admin/leave', { body: 'leave please' })
    expect([garbage.status, garbage.json?.error]).toEqual([400, 'bad_body'])
    const progress = await http(leaver.http, 'GET', '/admin/leave')
    expect(progress.status).toBe(200)
    expect(progress.json).toMatchObject({ state: 'member', peerId: leaver.peerId, startedAt: null })
    // Nothing above started a leave.
    expect((await statusJson(leaver)).members.find((m) => m.peerId === leaver.peerId)?.status).toBe('active')
  })

  it('hands off exactly its partitions, loses nothing, stops, and never starts again on its data dir', async () => {
    for (const [i, key] of KEYS.entries()) {
      const reply = await put(daemons[i % daemons.length] as Daemon, key, valueOf(key), { w: N })
      expect(reply.status).toBe(204)
    }
    expect((await statusJson(leaver)).keys).toBeGreaterThan(0)
    const before = ringOf(await statusJson(stayers[0] as Daemon))
    const owned = before.owners.filter((owner) => owner === leaver.peerId).length
    expect(owned).toBeGreaterThan(0)
    expect(await stat(join(leaver.dataDir, 'daemon.json'))).toBeTruthy()

    const run = fixture.spawnRaw(['leave', '--data-dir', leaver.dataDir, '--timeout', '120'])
    const exit = await run.exited
    expect(exit.code, run.stderr.join('\n')).toBe(0)
    const result = JSON.parse(run.stdout.join('\n')) as { keysAtStart: number, keysMoved: number }
    expect(result).toMatchObject({ peerId: leaver.peerId, left: true })
    // Every key it held went to its new owners (each acknowledged by all of them).
    expect(result.keysMoved).toBe(result.keysAtStart)
    expect(run.stderr.join('\n')).toMatch(/handing off: \d+ keys? in \d+ partitions?/)
    // The daemon stopped itself, cleanly, and took its daemon.json with it.
    expect(await leaver.exited).toEqual({ code: 0, signal: null })
    await expect(stat(join(leaver.dataDir, 'daemon.json'))).rejects.toThrow(/ENOENT/)
    expect(JSON.parse(await readFile(join(leaver.dataDir, 'left.json'), 'utf8'))).toMatchObject({ peerId: leaver.peerId, drained: true })

    // The others' rings no longer name it, and differ from before exactly in its partitions.
    for (const d of stayers) {
      const after = await poll(`${d.name}'s ring without the leaver`, async () => {
        const s = await statusJson(d)
        return s.members.find((m) => m.peerId === leaver.peerId)?.status === 'left' ? s : false
      })
      expect(after.ring.members.map((m) => m.id)).not.toContain(leaver.peerId)
      const ring = ringOf(after)
      expect(countMoved(before, ring)).toBe(owned)
      for (let p = 0; p < ring.q; p++) {
        if (before.owners[p] === leaver.peerId) expect(stayers.map((s) => s.peerId)).toContain(ring.owners[p])
        else expect(ring.owners[p]).toBe(before.owners[p])
      }
      // And that ring is the one the daemon routes by: every key's preference list.
      for (const key of KEYS.slice(0, 20)) {
        expect((await replica(d, key)).preferenceList).toEqual(preferenceList(ring, partitionOf(key, ring.q), N))
      }
    }

    // Nothing acknowledged was lost: both replicas of every key hold it (looked at before
    // any read, so no read repair helped), and every key reads at R=N.
    for (const key of KEYS) {
      const owners = (await replica(stayers[0] as Daemon, key)).preferenceList
      expect(owners).not.toContain(leaver.peerId)
      for (const owner of owners) {
        const d = stayers.find((s) => s.peerId === owner) as Daemon
        const local = await replica(d, key)
        expect([key, local.found, replicaValues(local)]).toEqual([key, true, [valueOf(key)]])
      }
    }
    for (const [i, key] of KEYS.entries()) {
      const read = await get(stayers[i % stayers.length] as Daemon, key, { r: N })
      expect([key, read.status, Buffer.from(read.bytes).toString('utf8')]).toEqual([key, 200, valueOf(key)])
    }

    // Left for good: the same data dir refuses to start, with the reason.
    const again = fixture.spawnRaw(['start', '--data-dir', leaver.dataDir, ...leaver.args])
    expect((await again.exited).code).toBe(1)
    expect(again.stderr.join('\n')).toContain(`belongs to peer ${leaver.peerId}, which left the cluster for good`)
    expect(again.stdout).toEqual([])
    // And leave/status on it say so instead of hanging.
    const late = fixture.spawnRaw(['leave', '--data-dir', leaver.dataDir])
    expect((await late.exited).code).toBe(1)
    expect(late.stderr.join('\n')).toContain('left the cluster (hand-off complete)')
  })
})

describe('ringstore leave when a new owner is down', () => {
  const fixture = new Fixture()
  afterAll(async () => { await fixture.killAll() })

  it('times out naming what is still held; the daemon keeps the data, goes on trying, and resumes the leave after a restart', async () => {
    const [a, b, c] = await startCluster(fixture, 'stuck', 3, ['--n', '2', '--r', '2', '--w', '2']) as [Daemon, Daemon, Daemon]
    for (const key of KEYS.slice(0, 40)) expect((await put(a, key, valueOf(key))).status).toBe(204)
    const held = (await statusJson(b)).keys
    expect(held).toBeGreaterThan(0)
    // Without b, N=2 of the two members left names c for every key: nothing can move.
    await fixture.kill(c, 'SIGKILL')
    await poll('b sees c unreachable', async () => (await statusJson(b)).members.find((m) => m.peerId === c.peerId)?.reachable === false)

    const run = fixture.spawnRaw(['leave', '--http', b.http, '--http-token-file', b.ready.tokenFile, '--timeout', '3'])
    expect((await run.exited).code).toBe(1)
    const stderr = run.stderr.join('\n')
    expect(stderr).toContain(`timed out after 3 s: peer ${b.peerId} still holds ${held} keys in `)
    expect(stderr).toMatch(/partitions? it no longer owns and 0 hints pending/)
    expect(stderr).toContain('run ringstore leave again to keep waiting')
    // The daemon has left the ring but keeps every key it could not hand off, and keeps trying.
    const progress = await http(b.http, 'GET', '/admin/leave')
    expect(progress.json).toMatchObject({ state: 'leaving', peerId: b.peerId, keys: held, keysAtStart: held })
    expect((await statusJson(a)).ring.members.map((m) => m.id)).not.toContain(b.peerId)

    // Stopped now (SIGTERM: clean) mid hand-off, it starts again only to finish the leave:
    // once c is back, b hands everything off and stops by itself; then it never starts again.
    expect((await fixture.kill(b, 'SIGTERM')).code).toBe(0)
    const resumed = await fixture.restart(b)
    expect((await http(resumed.http, 'GET', '/admin/leave')).json).toMatchObject({ state: 'leaving', peerId: b.peerId, keys: held })
    expect((await statusJson(resumed)).members.find((m) => m.peerId === b.peerId)?.status).toBe('left')
    await fixture.restart(c)
    expect(await resumed.exited).toEqual({ code: 0, signal: null })
    expect(JSON.parse(await readFile(join(b.dataDir, 'left.json'), 'utf8'))).toMatchObject({ peerId: b.peerId, drained: true })
    for (const key of KEYS.slice(0, 40)) {
      const read = await get(a, key, { r: 2 })
      expect([key, read.status, Buffer.from(read.bytes).toString('utf8')]).toEqual([key, 200, valueOf(key)])
    }
    const again = fixture.spawnRaw(['start', '--data-dir', b.dataDir, ...b.args])
    expect((await again.exited).code).toBe(1)
    expect(again.stderr.join('\n')).toContain('which left the cluster for good')
  })
})

describe('ringstore leave on a lone member', () => {
  const fixture = new Fixture()
  afterAll(async () => { await fixture.killAll() })

  it('is refused: its data would have nowhere to go', async () => {
    const alone = await fixture.start('alone', ['--n', '1', '--r', '1', '--w', '1'])
    expect((await put(alone, 'only-here', 'v')).status).toBe(204)
    const run = fixture.spawnRaw(['leave', '--data-dir', alone.dataDir, '--timeout', '30'])
    expect((await run.exited).code).toBe(1)
    expect(run.stderr.join('\n')).toMatch(/409 cannot_leave: no other active member owns partitions/)
    // Still a member, still serving, and free to restart later.
    expect((await statusJson(alone)).members[0]?.status).toBe('active')
    expect((await get(alone, 'only-here')).status).toBe(200)
    await expect(stat(join(alone.dataDir, 'left.json'))).rejects.toThrow(/ENOENT/)
  })
})
