import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, describe, expect, it } from 'vitest'
import { IdentityError, KEY_FILE, Libp2pSigner, loadOrCreatePrivateKey } from '../src/node-index.js'
import { startPeer, stopAll } from './helpers.js'

const dirs: string[] = []
async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringstore-id-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  await stopAll()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('persistent identity', () => {
  it('gives the same peer id after reloading the key from the data dir', async () => {
    const dir = join(await tempDir(), 'nested', 'data')
    const first = await loadOrCreatePrivateKey(dir)
    const again = await loadOrCreatePrivateKey(dir)
    expect(first.type).toBe('Ed25519')
    expect(peerIdFromPrivateKey(again).toString()).toBe(peerIdFromPrivateKey(first).toString())
    const peer = await startPeer({ privateKey: again })
    expect(peer.id).toBe(peerIdFromPrivateKey(first).toString())
  })

  it('creates one key when two loaders race on an empty dir', async () => {
    const dir = await tempDir()
    const keys = await Promise.all(Array.from({ length: 5 }, async () => loadOrCreatePrivateKey(dir)))
    const ids = new Set(keys.map((k) => peerIdFromPrivateKey(k).toString()))
    expect(ids.size).toBe(1)
  })

  it('refuses a corrupt key file instead of replacing it', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, KEY_FILE), 'not a key')
    await expect(loadOrCreatePrivateKey(dir)).rejects.toThrow(IdentityError)
  })
})

describe('Libp2pSigner', () => {
  it('verifies its own signatures and rejects forgeries', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(key).toString()
    const otherId = peerIdFromPrivateKey(other).toString()
    const signer = new Libp2pSigner(key)
    const data = new TextEncoder().encode('member record bytes')
    const signature = await signer.sign(data)
    expect(await signer.verify(id, data, signature)).toBe(true)
    // Someone else's signature over the same bytes, claimed to be ours.
    expect(await signer.verify(id, data, await new Libp2pSigner(other).sign(data))).toBe(false)
    // Our signature, claimed by someone else.
    expect(await signer.verify(otherId, data, signature)).toBe(false)
    // Tampered data or signature.
    const tampered = Uint8Array.from(data)
    tampered[0] = (tampered[0] as number) ^ 1
    expect(await signer.verify(id, tampered, signature)).toBe(false)
    const badSig = Uint8Array.from(signature)
    badSig[10] = (badSig[10] as number) ^ 1
    expect(await signer.verify(id, data, badSig)).toBe(false)
    expect(await signer.verify(id, data, new Uint8Array(3))).toBe(false)
    expect(await signer.verify('not-a-peer-id', data, signature)).toBe(false)
  })
})
