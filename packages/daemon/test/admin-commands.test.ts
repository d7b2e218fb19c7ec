/**
 * `ringstore secret` and `ringstore admit` through the real bin: a secret is created
 * owner-only and never overwritten, a secret others can read is refused, and a certificate
 * verifies against the printed cluster id (and only that one) without the secret.
 */
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { decodeSignedAdmission, encodeAdmission } from '@ringstore/core'
import { afterAll, describe, expect, it } from 'vitest'
import { Fixture } from './support.js'

const fixture = new Fixture()
const dirs: string[] = []
afterAll(async () => {
  await fixture.killAll()
  await Promise.all(dirs.map(async (dir) => { await rm(dir, { recursive: true, force: true }) }))
})

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringstore-secret-test-'))
  dirs.push(dir)
  return dir
}

async function run (args: string[]): Promise<{ code: number | null, stdout: string[], stderr: string[] }> {
  const child = fixture.spawnRaw(args)
  const { code } = await child.exited
  return { code, stdout: child.stdout, stderr: child.stderr }
}

/** A real peer id to admit (the base58 id of an Ed25519 key). */
const PEER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

async function verifies (cluster: string, certificate: string): Promise<boolean> {
  const { admission, signature } = decodeSignedAdmission(Buffer.from(certificate, 'base64url'))
  const key = peerIdFromString(cluster).publicKey
  if (key === undefined) return false
  return await key.verify(encodeAdmission(admission), signature)
}

describe('ringstore secret', () => {
  it('creates an owner-only secret, prints the cluster id, and never overwrites it', async () => {
    const file = join(await tempDir(), 'cluster.secret')
    const made = await run(['secret', file])
    expect(made.code).toBe(0)
    const printed = JSON.parse(made.stdout[0] ?? '{}') as { secretFile: string, cluster: string }
    expect(printed.secretFile).toBe(file)
    expect(printed.cluster).toMatch(/^12D3KooW/)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const content = await readFile(file, 'utf8')
    expect(content).toMatch(/^ringstore-cluster-secret-v1 [A-Za-z0-9_-]{43}\n$/)

    const again = await run(['secret', file])
    expect(again.code).toBe(1)
    expect(again.stderr.join('\n')).toMatch(/never overwritten/)
    expect(await readFile(file, 'utf8')).toBe(content)

    const other = await run(['secret', join(await tempDir(), 'other.secret')])
    expect(JSON.parse(other.stdout[0] ?? '{}').cluster).not.toBe(printed.cluster)
  })

  it('exits 2 without exactly one FILE', async () => {
    expect((await run(['secret'])).code).toBe(2)
    expect((await run(['secret', 'a', 'b'])).code).toBe(2)
  })
})

describe('ringstore admit', () => {
  it('issues a certificate that verifies against the cluster id alone, and not another cluster\'s', async () => {
    const dir = await tempDir()
    const file = join(dir, 'cluster.secret')
    const { cluster } = JSON.parse((await run(['secret', file])).stdout[0] ?? '{}') as { cluster: string }
    const admitted = await run(['admit', '--cluster-secret', file, '--peer-id', PEER, '--weight', '2', '--zone', 'eu-1'])
    expect(admitted.code).toBe(0)
    const cert = JSON.parse(admitted.stdout[0] ?? '{}') as { cluster: string, peer: string, maxWeight: number, zone: string, issuedAt: number, certificate: string }
    expect(cert).toMatchObject({ cluster, peer: PEER, maxWeight: 2, zone: 'eu-1' })
    expect(await verifies(cluster, cert.certificate)).toBe(true)

    const { cluster: otherCluster } = JSON.parse((await run(['secret', join(dir, 'other.secret')])).stdout[0] ?? '{}') as { cluster: string }
    expect(await verifies(otherCluster, cert.certificate)).toBe(false)
  })

  it('refuses a secret that others can read', async () => {
    const file = join(await tempDir(), 'cluster.secret')
    await run(['secret', file])
    await chmod(file, 0o644)
    const refused = await run(['admit', '--cluster-secret', file, '--peer-id', PEER])
    expect(refused.code).toBe(1)
    expect(refused.stderr.join('\n')).toMatch(/readable by others.*chmod 600/)
    expect(refused.stdout).toEqual([])
  })

  const bad: Array<[string, string[], RegExp]> = [
    ['no secret', ['admit', '--peer-id', PEER], /needs --cluster-secret/],
    ['no peer id', ['admit', '--cluster-secret', '/nonexistent'], /--peer-id must be a peer id/],
    ['a peer id that is not base58', ['admit', '--cluster-secret', '/nonexistent', '--peer-id', 'not/a/peer'], /--peer-id must be a peer id/],
    ['a weight that is not a number', ['admit', '--cluster-secret', '/nonexistent', '--peer-id', PEER, '--weight', 'heavy'], /--weight must be a number/],
    ['a weight above the bound', ['admit', '--cluster-secret', '/nonexistent', '--peer-id', PEER, '--weight', '2000000'], /--weight must be a number in 0../]
  ]
  for (const [what, args, message] of bad) {
    it(`exits 2 for ${what}`, async () => {
      const result = await run(args)
      expect(result.code).toBe(2)
      expect(result.stderr.join('\n')).toMatch(message)
    })
  }
})
