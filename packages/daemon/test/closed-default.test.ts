/**
 * Closed by default, through the real bin: a daemon started without --cluster-secret
 * creates DATA_DIR/cluster-secret (0600), names it on stderr and in its ready line, and
 * forms a cluster of its own that a daemon bootstrapped at it does not merge with; a
 * restart reuses the file. A peer that does not hold the secret joins with
 * `--admission FILE` (the line `ringstore admit` prints for the id `ringstore peer-id`
 * printed), and a certificate that is not for it is refused before it starts.
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Fixture, TEST_DEFAULTS, status, waitForCluster } from './support.js'
import type { Daemon } from './support.js'

const fixture = new Fixture()
afterAll(async () => { await fixture.killAll() })

async function run (args: string[]): Promise<{ code: number | null, stdout: string[], stderr: string[] }> {
  const child = fixture.spawnRaw(args)
  const { code } = await child.exited
  return { code, stdout: child.stdout, stderr: child.stderr }
}

const memberIds = async (d: Daemon): Promise<string[]> => (await status(d)).members.map((m) => m.peerId).sort()

/** What a daemon started without --cluster-secret must have done with its data dir's secret. */
async function expectDefaultSecret (d: Daemon, verb: 'created' | 'using'): Promise<string> {
  const file = join(d.dataDir, 'cluster-secret')
  expect(d.ready.clusterSecret).toBe(file)
  expect((await stat(file)).mode & 0o777).toBe(0o600)
  const notice = d.stderr.filter((line) => line.startsWith('ringstore: '))
  expect(notice, d.stderr.join('\n')).toHaveLength(1)
  expect(notice[0]).toContain(verb === 'created' ? `created the cluster secret ${file}` : `using the cluster secret ${file}`)
  expect(notice[0]).toContain(`--cluster-secret ${file}`)
  return await readFile(file, 'utf8')
}

describe('without --cluster-secret', () => {
  it('each daemon forms a cluster of its own, which only a daemon given its secret file joins', async () => {
    const a = await fixture.start('own-a', [], { sharedSecret: false })
    const b = await fixture.start('own-b', ['--bootstrap', a.tcp], { sharedSecret: false })
    await expectDefaultSecret(a, 'created')
    await expectDefaultSecret(b, 'created')
    expect(a.ready.clusterId).toMatch(/^12D3KooW/)
    expect(b.ready.clusterId).not.toBe(a.ready.clusterId)

    // A third daemon holding a's file, bootstrapped at both: it joins a, and b still stays alone.
    const c = await fixture.start('own-c', ['--cluster-secret', a.ready.clusterSecret ?? '', '--bootstrap', b.tcp, '--bootstrap', a.tcp])
    expect(c.ready.clusterId).toBe(a.ready.clusterId)
    await waitForCluster([a, c])
    expect((await status(b)).connected).toBeGreaterThan(0)
    expect(await memberIds(a)).toEqual([a.peerId, c.peerId].sort())
    expect(await memberIds(c)).toEqual([a.peerId, c.peerId].sort())
    expect(await memberIds(b)).toEqual([b.peerId])
    // The status page names the cluster (a tab checks members against it).
    expect((await status(a)).clusterId).toBe(a.ready.clusterId)
    expect((await status(b)).clusterId).toBe(b.ready.clusterId)
  })

  it('a restart reuses DATA_DIR/cluster-secret: the same cluster and join time', async () => {
    const first = await fixture.start('own-restart', [], { sharedSecret: false })
    const content = await expectDefaultSecret(first, 'created')
    const joinedAt = (await status(first)).members.find((m) => m.peerId === first.peerId)?.joinedAt
    await fixture.kill(first, 'SIGTERM')
    const again = await fixture.restart(first)
    expect(again.ready.clusterId).toBe(first.ready.clusterId)
    expect(await expectDefaultSecret(again, 'using')).toBe(content)
    expect((await status(again)).members.find((m) => m.peerId === again.peerId)?.joinedAt).toBe(joinedAt)
  })
})

describe('--admission FILE', () => {
  it('joins the cluster of a secret holder with the certificate `ringstore admit` printed, and owns partitions', async () => {
    const holder = await fixture.start('holder')
    const dataDir = join(await fixture.dir(), 'admitted')
    // The id before the first start: `peer-id` creates the identity the daemon then runs with.
    const printed = await run(['peer-id', '--data-dir', dataDir])
    expect(printed.code).toBe(0)
    const { peerId } = JSON.parse(printed.stdout[0] ?? '{}') as { peerId: string }
    expect(peerId).toMatch(/^12D3KooW/)
    expect(JSON.parse((await run(['peer-id', '--data-dir', dataDir])).stdout[0] ?? '{}')).toEqual({ peerId })

    const admitted = await run(['admit', '--cluster-secret', await fixture.secret(), '--peer-id', peerId, '--zone', 'eu-1'])
    expect(admitted.code).toBe(0)
    const certificate = join(await fixture.dir(), 'admitted.cert')
    await writeFile(certificate, `${admitted.stdout.join('\n')}\n`)

    const member = await fixture.start('admitted', ['--admission', certificate, '--bootstrap', holder.tcp])
    expect(member.peerId).toBe(peerId)
    expect(member.ready.clusterId).toBe(holder.ready.clusterId)
    expect(member.ready.clusterSecret).toBeUndefined()
    // Weight and zone come from the certificate (the daemon was given neither).
    await waitForCluster([holder, member])
    const seen = (await status(holder)).members.find((m) => m.peerId === peerId)
    expect([seen?.weight, seen?.zone]).toEqual([1, 'eu-1'])

    // A certificate for another peer is refused before the daemon starts (exit 2, as any bad command line).
    const stranger = await run(['start', '--data-dir', join(await fixture.dir(), 'stranger'), ...TEST_DEFAULTS, '--admission', certificate])
    expect(stranger.code).toBe(2)
    expect(stranger.stderr.join('\n')).toMatch(new RegExp(`admits peer ${peerId}, not this daemon`))
    expect(stranger.stdout).toEqual([])
  })

  it('refuses, with exit code 2, a file that is missing, not a certificate, altered, beyond --weight, or beside --cluster-secret', async () => {
    const dir = await fixture.dir()
    const start = (file: string, extra: string[] = []): string[] => ['start', '--data-dir', join(dir, 'refused'), ...TEST_DEFAULTS, '--admission', file, ...extra]
    const notJson = join(dir, 'garbage.cert')
    await writeFile(notJson, 'hello\n')
    const { peerId } = JSON.parse((await run(['peer-id', '--data-dir', join(dir, 'refused')])).stdout[0] ?? '{}') as { peerId: string }
    const line = JSON.parse((await run(['admit', '--cluster-secret', await fixture.secret(), '--peer-id', peerId])).stdout[0] ?? '{}') as Record<string, unknown>
    const altered = join(dir, 'altered.cert')
    await writeFile(altered, `${JSON.stringify({ ...line, maxWeight: 100 })}\n`)
    const good = join(dir, 'good.cert')
    await writeFile(good, `${JSON.stringify(line)}\n`)

    const cases: Array<[string[], RegExp]> = [
      [start(join(dir, 'missing.cert')), /--admission .*missing\.cert: cannot read it/],
      [start(notJson), /not an admission certificate \(not JSON\)/],
      [start(altered), /"maxWeight" differs from the signed certificate/],
      [start(good, ['--weight', '2']), /does not fit --weight 2/],
      [start(good, ['--cluster-secret', await fixture.secret()]), /--admission and --cluster-secret exclude each other/]
    ]
    for (const [args, message] of cases) {
      const refused = await run(args)
      expect(refused.code).toBe(2)
      expect(refused.stderr.join('\n')).toMatch(message)
      expect(refused.stdout).toEqual([])
    }
  })
})
