/**
 * The command line contract: --help, exit code 2 with a clear message for bad arguments,
 * exactly one JSON ready line on stdout, SIGTERM → clean exit 0, a restart on the same
 * data dir is the same peer (id, join time, data), one daemon per data dir, and
 * `ringstore cluster` (what `npm start` runs) brings up a working cluster and stops it
 * on Ctrl-C.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { clusterAuthority } from '@ringstore/net-libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { readSecretFile } from '../src/cluster-secret.js'
import { Fixture, get, poll, put, status } from './support.js'

const fixture = new Fixture()
afterAll(async () => { await fixture.killAll() })

describe('arguments', () => {
  it('prints the help on --help and exits 0', async () => {
    const run = fixture.spawnRaw(['start', '--help'])
    expect((await run.exited).code).toBe(0)
    const help = run.stdout.join('\n')
    for (const flag of ['--data-dir', '--listen', '--http', '--bootstrap', '--n', '--r', '--w', '--q', '--anti-entropy-interval-ms', '--max-body', '--cluster-secret', '--admission', 'peer-id', '--http-token-file', '--allow-origin', '--http-host', '--metrics-open']) {
      expect(help).toContain(flag)
    }
    // Closed by default: the help says where the secret goes without --cluster-secret.
    expect(help).toContain('DIR/cluster-secret')
    expect(help).toContain('DIR/http-token')
  })

  // Every validation message is checked in-process in args.test.ts; here, the exit code
  // and the stream it goes to, through the real bin.
  const bad: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['start', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['w above n', ['start', '--n', '2', '--w', '3'], /--w must be an integer in 1\.\.2/],
    ['an unknown command', ['launch'], /unknown command 'launch'/]
  ]
  for (const [what, args, message] of bad) {
    it(`exits 2 with a message on stderr for ${what}`, async () => {
      const run = fixture.spawnRaw(args)
      expect((await run.exited).code).toBe(2)
      expect(run.stderr.join('\n')).toMatch(message)
      expect(run.stdout).toEqual([])
    })
  }
})

describe('lifecycle', () => {
  it('prints one ready line, shuts down on SIGTERM with exit 0, and restarts as the same peer', async () => {
    const first = await fixture.start('life', ['--n', '1', '--r', '1', '--w', '1'])
    expect(first.peerId).toMatch(/^12D3KooW/)
    expect(first.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(first.ready.addrs.length).toBeGreaterThanOrEqual(2)
    for (const addr of first.ready.addrs) expect(addr.endsWith(`/p2p/${first.peerId}`)).toBe(true)
    expect(first.ready.addrs.some((a) => a.includes('/ws/'))).toBe(true)
    const joinedAt = (await status(first)).members.find((m) => m.peerId === first.peerId)?.joinedAt
    expect((await put(first, 'persisted', 'yes')).status).toBe(204)

    // A second daemon on the same data dir is refused while the first runs.
    const twin = fixture.spawnRaw(['start', '--data-dir', first.dataDir, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect((await twin.exited).code).toBe(1)
    expect(twin.stderr.join('\n')).toMatch(/in use by process/)

    expect(await fixture.kill(first, 'SIGTERM')).toEqual({ code: 0, signal: null })
    expect(first.stdout).toHaveLength(1)
    expect(JSON.parse(first.stdout[0] ?? '')).toEqual({
      event: 'ready', peerId: first.peerId, addrs: first.ready.addrs, http: first.http, clusterId: first.ready.clusterId, clusterSecret: await fixture.secret(), tokenFile: join(first.dataDir, 'http-token')
    })

    const second = await fixture.restart(first)
    expect(second.peerId).toBe(first.peerId)
    const self = (await status(second)).members.find((m) => m.peerId === second.peerId)
    expect(self?.joinedAt).toBe(joinedAt)
    expect(self?.incarnation).toBeGreaterThan(0)
    const read = await get(second, 'persisted')
    expect([read.status, new TextDecoder().decode(read.bytes)]).toEqual([200, 'yes'])
    expect(await fixture.kill(second, 'SIGINT')).toEqual({ code: 0, signal: null })
  })
})

describe('ringstore cluster (npm start)', () => {
  it('starts a local cluster that replicates, and stops every daemon on SIGINT', async () => {
    const base = join(await fixture.dir(), 'local')
    // Unusual ports so that a developer's own `npm start` (7070..) is not disturbed; a
    // busy port falls back to a free one anyway.
    const run = fixture.spawnRaw(['cluster', '--peers', '2', '--base-dir', base, '--http-port', '17370', '--p2p-port', '17470', '--log-level', 'warn'])
    await poll('the cluster banner', () => run.stdout.some((line) => line.includes('Ctrl-C stops the cluster')), 60_000, 50)
    const peers = JSON.parse(await readFile(join(base, 'cluster.json'), 'utf8')) as Array<{ http: string, peerId: string, pid: number, clusterId: string, clusterSecret: string }>
    expect(peers).toHaveLength(2)
    // One secret for the local cluster, made by the launcher: both daemons are admitted to its cluster.
    const secretFile = join(base, 'cluster-secret')
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600)
    expect(peers.map((p) => [p.clusterSecret, p.clusterId])).toEqual([[secretFile, await clusterIdOf(secretFile)], [secretFile, await clusterIdOf(secretFile)]])
    expect(run.stdout.join('\n')).toContain(`--cluster-secret ${secretFile}`)
    const [one, two] = peers.map((p) => ({ http: p.http, peerId: p.peerId })) as [{ http: string, peerId: string }, { http: string, peerId: string }]
    expect(run.stdout.join('\n')).toContain(one.http)
    // One bearer token for the local cluster (launcher-made, 0600), and the banner's curl lines carry it.
    const tokenFile = join(base, 'http-token')
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600)
    expect(run.stdout.join('\n')).toContain(`TOKEN=$(cat ${tokenFile})`)
    expect(run.stdout.join('\n')).toContain('curl -i -H "Authorization: Bearer $TOKEN"')
    const auth = { Authorization: `Bearer ${(await readFile(tokenFile, 'utf8')).trim()}` }

    // Two peers: N=3 would need three replicas; write with n=2 (W=2 = both peers).
    await poll('both peers see each other', async () => {
      const s = await (await fetch(`${one.http}/status`, { headers: auth })).json() as { members: Array<{ peerId: string, reachable: boolean }> }
      return s.members.some((m) => m.peerId === two.peerId && m.reachable)
    })
    expect((await fetch(`${one.http}/kv/hello?n=2&w=2`, { method: 'PUT', body: 'world', headers: auth })).status).toBe(204)
    const read = await fetch(`${two.http}/kv/hello?n=2&r=2`, { headers: auth })
    expect([read.status, await read.text()]).toEqual([200, 'world'])

    run.process.kill('SIGINT')
    expect((await run.exited).code).toBe(0)
    for (const peer of peers) expect(isRunning(peer.pid)).toBe(false)
  })

  it('its daemons stop by themselves when the launcher is SIGKILLed', async () => {
    const base = join(await fixture.dir(), 'orphans')
    const run = fixture.spawnRaw(['cluster', '--peers', '1', '--base-dir', base, '--http-port', '17380', '--p2p-port', '17480', '--log-level', 'warn'])
    await poll('the cluster banner', () => run.stdout.some((line) => line.includes('Ctrl-C stops the cluster')), 60_000, 50)
    const [peer] = JSON.parse(await readFile(join(base, 'cluster.json'), 'utf8')) as Array<{ pid: number }>
    try {
      run.process.kill('SIGKILL')
      await run.exited
      await poll('the orphaned daemon to exit', () => !isRunning(peer?.pid ?? 0), 20_000, 50)
    } finally {
      if (peer !== undefined && isRunning(peer.pid)) process.kill(peer.pid, 'SIGKILL')
    }
  })
})

async function clusterIdOf (secretFile: string): Promise<string> {
  return (await clusterAuthority(await readSecretFile(secretFile))).clusterId
}

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
