/**
 * The cluster secret on disk: one line `ringstore-cluster-secret-v1 <base64url of 32 random
 * bytes>`, created owner-only (mode 0600) and never overwritten. Whoever holds the file can
 * derive the cluster authority and admit peers (docs/trust.md), so a secret that other
 * users of the machine can read is refused, as ssh refuses such a private key.
 */
import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { CLUSTER_SECRET_BYTES } from '@ringstore/net-libp2p'

const HEADER = 'ringstore-cluster-secret-v1'

/** The secret's file in the data dir of a daemon started without --cluster-secret or --admission. */
export const DEFAULT_SECRET_FILE = 'cluster-secret'

/** The secret file cannot be created or used (exists, unreadable, malformed, too open). */
export class ClusterSecretFileError extends Error {
  static override name = 'ClusterSecretFileError'
  override name = 'ClusterSecretFileError'
}

/** Write a new random secret to `path` (0600); refuses to overwrite an existing file. Returns the absolute path. */
export async function createSecretFile (path: string): Promise<string> {
  const file = resolve(path)
  const secret = randomBytes(CLUSTER_SECRET_BYTES)
  try {
    // 'wx': fail if it exists. An existing secret may be the only key to a running cluster.
    await writeFile(file, `${HEADER} ${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new ClusterSecretFileError(`${file} exists; a secret is never overwritten (remove it first if you mean to start a new cluster)`, { cause: error })
    throw new ClusterSecretFileError(`cannot create ${file}: ${(error as Error).message}`, { cause: error })
  }
  return file
}

/** The 32 secret bytes of `path`, checked for format and for owner-only permissions. */
export async function readSecretFile (path: string): Promise<Uint8Array> {
  const file = resolve(path)
  let text: string
  try {
    const info = await stat(file)
    if ((info.mode & 0o077) !== 0) {
      throw new ClusterSecretFileError(`${file} is readable by others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${file}`)
    }
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof ClusterSecretFileError) throw error
    throw new ClusterSecretFileError(`cannot read the cluster secret ${file}: ${(error as Error).message}`)
  }
  const match = /^ringstore-cluster-secret-v1 ([A-Za-z0-9_-]+)\n?$/.exec(text)
  const secret = match === null ? undefined : Buffer.from(match[1] ?? '', 'base64url')
  if (secret === undefined || secret.byteLength !== CLUSTER_SECRET_BYTES) {
    throw new ClusterSecretFileError(`${file} is not a cluster secret (make one with 'ringstore secret FILE')`)
  }
  return new Uint8Array(secret)
}

/** A secret file in use, and whether this start created it. */
export interface SecretFile {
  /** Absolute path. */
  readonly file: string
  readonly secret: Uint8Array
  readonly created: boolean
}

/**
 * The secret in `path`, created first (as `ringstore secret` does) when there is none:
 * closed by default, a daemon without --cluster-secret forms a cluster of its own, which
 * others join only with this file.
 */
export async function loadOrCreateSecretFile (path: string): Promise<SecretFile> {
  const file = resolve(path)
  let created = false
  try {
    await createSecretFile(file)
    created = true
  } catch (error) {
    // Already there (a restart): use it. Any other failure to create is the daemon's to report.
    if (!(error instanceof ClusterSecretFileError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'EEXIST')) throw error
  }
  return { file, secret: await readSecretFile(file), created }
}

/** `DATA_DIR/cluster-secret`. */
export function defaultSecretFile (dataDir: string): string {
  return resolve(join(dataDir, DEFAULT_SECRET_FILE))
}
