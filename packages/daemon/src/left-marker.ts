/**
 * `DATA_DIR/left.json`: this data dir's peer left the cluster for good (`ringstore leave`).
 * Written durably BEFORE the engine announces the 'left' record, and marked drained once
 * the hand-off finished. A daemon refuses to start on a data dir holding it: the engine,
 * given a stored own record that says 'left', would re-announce it as 'active' with its
 * old join time (core's restartRecord) and take its old partitions back, which is a
 * rejoin nobody asked for (Riak refuses the same). A new member starts on an empty data
 * dir, with a new identity.
 */
import { open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'

export const LEFT_FILE = 'left.json'

export interface LeftMarker {
  readonly peerId: string
  /** When the leave started (ms since the epoch). */
  readonly leftAt: number
  /** True once the daemon held no data it no longer owns and no hints (leave.ts). */
  readonly drained: boolean
}

export class DataDirLeftError extends Error {
  static override name = 'DataDirLeftError'
  override name = 'DataDirLeftError'
  constructor (readonly dir: string, readonly marker: LeftMarker) {
    const when = new Date(marker.leftAt).toISOString()
    const handOff = marker.drained
      ? ''
      : ` Its hand-off had not finished when it stopped: ${dir} may still hold the only copies of some keys; the engine cannot resume a leave after a restart.`
    super(`data directory ${dir} belongs to peer ${marker.peerId}, which left the cluster for good (ringstore leave, ${when}); ` +
      `a peer that left never rejoins: start a new member on an empty data dir (remove ${dir} or pass another --data-dir).${handOff}`)
  }
}

/** The marker, or undefined when this data dir's peer never left (or the file is unreadable garbage). */
export async function readLeftMarker (dir: string): Promise<LeftMarker | undefined> {
  let parsed: Partial<LeftMarker>
  try {
    parsed = JSON.parse(await readFile(join(dir, LEFT_FILE), 'utf8')) as Partial<LeftMarker>
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    // Present but unreadable: the leave was at least started. Refusing is the safe side.
    return { peerId: 'unknown', leftAt: 0, drained: false }
  }
  return {
    peerId: typeof parsed.peerId === 'string' ? parsed.peerId : 'unknown',
    leftAt: typeof parsed.leftAt === 'number' ? parsed.leftAt : 0,
    drained: parsed.drained === true
  }
}

/** Throws DataDirLeftError when DIR's peer left. Called right after the pid lock, before anything else starts. */
export async function refuseIfLeft (dir: string): Promise<void> {
  const marker = await readLeftMarker(dir)
  if (marker !== undefined) throw new DataDirLeftError(dir, marker)
}

/** Writes the marker durably (fsync, then rename over the old one): it must survive the crash that follows. */
export async function writeLeftMarker (dir: string, marker: LeftMarker): Promise<void> {
  const file = join(dir, LEFT_FILE)
  const temporary = `${file}.tmp`
  const handle = await open(temporary, 'w', 0o644)
  try {
    await handle.writeFile(`${JSON.stringify(marker)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, file)
  // The rename itself is durable only once the directory is synced.
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}
