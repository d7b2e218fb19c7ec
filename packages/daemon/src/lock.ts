/**
 * One daemon per data directory: two processes on one directory would be two peers with
 * the same identity and one store. `<dataDir>/daemon.pid` holds the owner's pid, created
 * exclusively; a file left by a dead process (SIGKILL, power loss) is taken over. (Two
 * daemons racing to take over the same stale file could both win; starting two daemons
 * on one directory at the same instant is not a case we defend.)
 */
import { open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'

export const PID_FILE = 'daemon.pid'

export class DataDirLockedError extends Error {
  static override name = 'DataDirLockedError'
  override name = 'DataDirLockedError'
  constructor (readonly dir: string, readonly pid: number) {
    super(`data directory ${dir} is in use by process ${pid}`)
  }
}

/** Takes the lock; resolves with its release. Throws DataDirLockedError if a live process holds it. */
export async function lockDataDir (dir: string): Promise<() => Promise<void>> {
  const file = join(dir, PID_FILE)
  // Two attempts: the second follows the removal of a stale file.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644)
      try {
        await handle.writeFile(`${process.pid}\n`)
      } finally {
        await handle.close()
      }
      return async () => { await unlink(file).catch(() => undefined) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim())
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && await isLiveDaemon(owner)) {
      throw new DataDirLockedError(dir, owner)
    }
    await unlink(file).catch(() => undefined)
  }
  throw new DataDirLockedError(dir, -1)
}

/**
 * Whether `pid` is a running ringstore process (not a dead one, nor an unrelated process
 * that got its number after a reboot). Shared with daemon-file.ts, whose records go stale
 * the same way.
 */
export async function isLiveDaemon (pid: number): Promise<boolean> {
  return isAlive(pid) && await looksLikeDaemon(pid)
}

/**
 * After a reboot (or in a fresh container) the stale pid may belong to an unrelated
 * process: on Linux, check that its command line mentions ringstore. Elsewhere, assume so.
 */
async function looksLikeDaemon (pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('ringstore')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || process.platform !== 'linux'
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means "in use".
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
