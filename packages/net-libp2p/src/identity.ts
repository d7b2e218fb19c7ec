/**
 * The peer's persistent identity: an Ed25519 private key in `<dataDir>/peer-key`
 * (libp2p's protobuf key encoding). Same key → same peer id across restarts. Node only.
 *
 * The key is created at most once: written to a temporary file, fsynced, then hard-linked
 * into place (link fails if the name exists, so two processes racing on one data dir end
 * up with the same key), and the directory is fsynced. An unreadable or corrupt key file
 * is an error, never silently replaced: a new key would be a different peer.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

export const KEY_FILE = 'peer-key'

export class IdentityError extends Error {
  static override name = 'IdentityError'
  override name = 'IdentityError'
  constructor (readonly file: string, detail: string, options?: ErrorOptions) {
    super(`peer identity ${file}: ${detail}`, options)
  }
}

/** Loads the key in `dataDir`, creating the directory and a new Ed25519 key if there is none. */
export async function loadOrCreatePrivateKey (dataDir: string): Promise<PrivateKey> {
  const file = join(dataDir, KEY_FILE)
  const existing = await readKey(file)
  if (existing !== null) return existing
  await mkdir(dataDir, { recursive: true })
  const key = await generateKeyPair('Ed25519')
  // Unique per attempt: concurrent loaders (even in one process) each write their own.
  const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`
  await writeDurably(tmp, privateKeyToProtobuf(key))
  try {
    await link(tmp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new IdentityError(file, 'cannot create', { cause: err })
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
  await syncDir(dataDir)
  // Whoever linked first wins; read back what is on disk.
  const stored = await readKey(file)
  if (stored === null) throw new IdentityError(file, 'vanished right after creation')
  return stored
}

async function readKey (file: string): Promise<PrivateKey | null> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new IdentityError(file, 'cannot read', { cause: err })
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityError(file, 'not a valid libp2p private key (corrupt?); refusing to replace it', { cause: err })
  }
}

async function writeDurably (file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
