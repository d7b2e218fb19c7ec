/**
 * `DATA_DIR/left.json`: this data dir's peer left the cluster for good (`ringstore leave`).
 * Written durably BEFORE the engine announces the 'left' record, and marked drained once
 * the hand-off finished. A daemon refuses to start on a data dir whose leave is drained:
 * a peer that left never rejoins (Riak refuses the same); a new member starts on an empty
 * data dir, with a new identity. A leave that was not drained (the daemon stopped or
 * crashed mid hand-off) is resumed: the daemon starts as the member that left (the
 * engine's `resumeLeave`: it announces 'left' again and owns nothing), finishes the
 * hand-off, and stops.
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
    super(`data directory ${dir} belongs to peer ${marker.peerId}, which left the cluster for good (ringstore leave, ${when}) and handed everything off; ` +
      `a peer that left never rejoins: start a new member on an empty data dir (remove ${dir} or pass another --data-dir).`)
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

/**
 * Throws DataDirLeftError when DIR's peer left and handed everything off; the marker of a
 * leave still to finish (the daemon resumes it), or undefined. Called right after the pid
 * lock, before anything else starts.
 */
export async function unfinishedLeave (dir: string): Promise<LeftMarker | undefined> {
  const marker = await readLeftMarker(dir)
  if (marker?.drained === true) throw new DataDirLeftError(dir, marker)
  return marker
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
