/**
 * `DATA_DIR/daemon.json`: where the running daemon of a data dir serves HTTP, so that the
 * operator commands (`ringstore leave`, `ringstore status`) find it from the data dir
 * alone. Written once the HTTP API listens (its port may have been 0), removed on a clean
 * stop. A file left by a killed daemon is stale: readers check that its pid is a live
 * ringstore process, as the pid lock does (lock.ts), and ignore it otherwise.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isLiveDaemon } from './lock.js'

export const DAEMON_FILE = 'daemon.json'

export interface DaemonFile {
  readonly pid: number
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:7070 */
  readonly http: string
  readonly peerId: string
  /** The HTTP token file (absolute): where `--data-dir` commands read the token, whatever --http-token-file said. */
  readonly tokenFile?: string
}

/** Writes the record (whole or not at all: a reader never sees half a file); resolves with its removal. */
export async function writeDaemonFile (dir: string, record: DaemonFile): Promise<() => Promise<void>> {
  const file = join(dir, DAEMON_FILE)
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(record)}\n`, { mode: 0o644 })
  await rename(temporary, file)
  return async () => { await unlink(file).catch(() => undefined) }
}

/** The record of DIR's running daemon; undefined when there is none, it is unreadable, or its process is gone. */
export async function readDaemonFile (dir: string): Promise<DaemonFile | undefined> {
  let parsed: Partial<DaemonFile>
  try {
    parsed = JSON.parse(await readFile(join(dir, DAEMON_FILE), 'utf8')) as Partial<DaemonFile>
  } catch {
    return undefined
  }
  const { pid, http, peerId, tokenFile } = parsed
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0 || typeof http !== 'string' || typeof peerId !== 'string') return undefined
  return await isLiveDaemon(pid) ? { pid, http, peerId, ...(typeof tokenFile === 'string' ? { tokenFile } : {}) } : undefined
}
