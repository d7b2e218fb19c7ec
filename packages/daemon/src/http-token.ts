/**
 * The HTTP API's bearer token on disk: one line, the base64url of 32 random bytes, created
 * owner-only (mode 0600) when missing and reused after (a restart keeps the operator's
 * scripts working). Whoever reads the file can read, overwrite and delete every value
 * and make the daemon leave, so a file other users can read is refused, as the cluster
 * secret is (cluster-secret.ts).
 */
import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** The token's file in the data dir when no --http-token-file is given. */
export const DEFAULT_TOKEN_FILE = 'http-token'

/** 32 random bytes: not guessable, and short enough for a header and a curl line. */
const TOKEN_BYTES = 32
const TOKEN = /^[A-Za-z0-9_-]{16,512}$/

export class HttpTokenFileError extends Error {
  static override name = 'HttpTokenFileError'
  override name = 'HttpTokenFileError'
}

export interface TokenFile {
  /** Absolute path. */
  readonly file: string
  readonly token: string
}

/** `DATA_DIR/http-token`. */
export function defaultTokenFile (dataDir: string): string {
  return resolve(join(dataDir, DEFAULT_TOKEN_FILE))
}

/** The token in `path`, created first (0600) when there is none. */
export async function loadOrCreateTokenFile (path: string): Promise<TokenFile> {
  const file = resolve(path)
  try {
    // 'wx': never overwrite. A token in use is in the operator's scripts and clients.
    await writeFile(file, `${randomBytes(TOKEN_BYTES).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new HttpTokenFileError(`cannot create the HTTP token file ${file}: ${(error as Error).message}`, { cause: error })
    }
  }
  return { file, token: await readTokenFile(file) }
}

/** The token of `path`, checked for format and for owner-only permissions (what the CLI reads too). */
export async function readTokenFile (path: string): Promise<string> {
  const file = resolve(path)
  let text: string
  try {
    const info = await stat(file)
    if ((info.mode & 0o077) !== 0) {
      throw new HttpTokenFileError(`${file} is readable by others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${file}`)
    }
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof HttpTokenFileError) throw error
    throw new HttpTokenFileError(`cannot read the HTTP token file ${file}: ${(error as Error).message}`)
  }
  const token = text.trim()
  if (!TOKEN.test(token)) throw new HttpTokenFileError(`${file} is not an HTTP token (one line of 16-512 base64url characters)`)
  return token
}
