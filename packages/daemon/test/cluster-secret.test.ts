/**
 * Daemons started with --cluster-secret admit each other and nobody else: a rogue daemon
 * without the secret, announcing weight 1000, owns nothing on the honest ones and every
 * key stays readable; two clusters with different secrets, bootstrapped at each other,
 * stay two. (The rogue, started without the secret, runs the cluster of its own data
 * dir's secret: neither side takes the other's records.)
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, Fixture, get, poll, put, startCluster, status, waitForCluster } from './support.js'
import type { Daemon } from './support.js'

const fixture = new Fixture()
afterAll(async () => { await fixture.killAll() })

async function newSecret (name: string): Promise<{ file: string, cluster: string }> {
  const file = join(await fixture.dir(), `${name}.secret`)
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'secret', file])
  return { file, cluster: (JSON.parse(stdout) as { cluster: string }).cluster }
}

const memberIds = async (d: Daemon): Promise<string[]> => (await status(d)).members.map((m) => m.peerId).sort()
const partitionsOf = async (d: Daemon, id: string): Promise<number> => (await status(d)).ring.members.find((m) => m.id === id)?.partitions ?? 0

describe('--cluster-secret', () => {
  it('a rogue daemon with weight 1000 and no secret owns nothing; every key stays readable', async () => {
    const secret = await newSecret('one')
    const honest = await startCluster(fixture, 'honest', 3, ['--cluster-secret', secret.file])
    for (const d of honest) expect(d.ready.clusterId).toBe(secret.cluster)
    const [seed] = honest as [Daemon]
    for (let i = 0; i < 20; i++) expect((await put(seed, `k${i}`, `v${i}`)).status).toBe(204)

    const rogue = await fixture.start('rogue', ['--weight', '1000', '--bootstrap', seed.tcp], { sharedSecret: false })
    expect(rogue.ready.clusterId).not.toBe(secret.cluster)
    // The rogue is in contact (connected to the seed it bootstrapped from), and its own
    // cluster takes no honest record either.
    await poll('rogue connected', async () => (await status(rogue)).connected > 0)
    await waitForCluster(honest)
    expect(await memberIds(rogue)).toEqual([rogue.peerId])
    const ids = honest.map((d) => d.peerId).sort()
    for (const d of honest) {
      expect(await memberIds(d)).toEqual(ids)
      expect(await partitionsOf(d, rogue.peerId)).toBe(0)
    }
    for (let i = 0; i < 20; i++) {
      const read = await get(honest[i % 3] as Daemon, `k${i}`)
      expect(read.status).toBe(200)
      expect(new TextDecoder().decode(read.bytes)).toBe(`v${i}`)
    }
  })

  it('two clusters with different secrets, bootstrapped at each other, stay two', async () => {
    const one = await newSecret('a')
    const two = await newSecret('b')
    const [a1] = await startCluster(fixture, 'a', 1, ['--cluster-secret', one.file]) as [Daemon]
    const b1 = await fixture.start('b-1', ['--cluster-secret', two.file, '--bootstrap', a1.tcp])
    const a2 = await fixture.start('a-2', ['--cluster-secret', one.file, '--bootstrap', b1.tcp, '--bootstrap', a1.tcp])
    const b2 = await fixture.start('b-2', ['--cluster-secret', two.file, '--bootstrap', a1.tcp, '--bootstrap', b1.tcp])
    await waitForCluster([a1, a2])
    await waitForCluster([b1, b2])
    expect(await memberIds(a1)).toEqual([a1.peerId, a2.peerId].sort())
    expect(await memberIds(a2)).toEqual([a1.peerId, a2.peerId].sort())
    expect(await memberIds(b1)).toEqual([b1.peerId, b2.peerId].sort())
    expect(await memberIds(b2)).toEqual([b1.peerId, b2.peerId].sort())
  })

  it('a restart keeps the admission and so the join time', async () => {
    const secret = await newSecret('restart')
    const [d] = await startCluster(fixture, 'r', 1, ['--cluster-secret', secret.file]) as [Daemon]
    const joinedAt = (await status(d)).members.find((m) => m.peerId === d.peerId)?.joinedAt
    await fixture.kill(d, 'SIGTERM')
    const again = await fixture.restart(d)
    expect(again.ready.clusterId).toBe(secret.cluster)
    expect((await status(again)).members.find((m) => m.peerId === d.peerId)?.joinedAt).toBe(joinedAt)
  })
})
