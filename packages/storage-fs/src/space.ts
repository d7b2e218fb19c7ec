/**
 * Telling a full disk from other write failures, and noticing when space comes back.
 *
 * lmdb-js does not say "disk full" in one way: a commit on a full filesystem failed here
 * with EIO (code 5, "Input/output error") on tmpfs, and a store at its map size fails with
 * MDB_MAP_FULL. So a failed write counts as "full" when its cause says so, or when the
 * filesystem of the data directory has less than FULL_BELOW_BYTES available right after.
 * Once full, the store re-checks the filesystem (at most every SPACE_RECHECK_MS) and
 * reports space again when RESUME_ABOVE_BYTES are available: more than the "full" bound,
 * so that one freed megabyte does not flap the state.
 */
import { statfsSync } from 'node:fs'
import { FULL_BELOW_BYTES, RESUME_ABOVE_BYTES, SPACE_RECHECK_MS } from './constants.js'

/** Bytes available to this process on the filesystem of `dir`, or undefined when it cannot be read. */
export function availableBytes (dir: string): number | undefined {
  try {
    const stats = statfsSync(dir)
    return stats.bavail * stats.bsize
  } catch {
    return undefined
  }
}

/**
 * lmdb-js attaches a failed commit's cause as a rejected promise (`commitError`). Awaited
 * here: left alone it is an unhandled rejection, and Node ends the process for it.
 */
export async function commitCause (error: unknown): Promise<unknown> {
  const pending = (error as { commitError?: unknown } | null)?.commitError
  if (pending instanceof Promise) {
    try {
      await pending
    } catch (cause) {
      return cause
    }
  }
  return error
}

/** Whether `cause` (a failed write's) means there is no space for it. */
export function isOutOfSpace (cause: unknown, dir: string): boolean {
  const { code, message } = (cause ?? {}) as { code?: unknown, message?: unknown }
  if (code === 'ENOSPC' || code === 'EDQUOT') return true
  if (typeof message === 'string' && /MDB_MAP_FULL|No space left|ENOSPC/.test(message)) return true
  const available = availableBytes(dir)
  return available !== undefined && available < FULL_BELOW_BYTES
}

/** The full/not-full state of one store (see the file comment). */
export class SpaceWatch {
  #full = false
  #checkedAt = 0

  constructor (private readonly dir: string, private readonly now: () => number = Date.now) {}

  markFull (): void {
    this.#full = true
    this.#checkedAt = this.now()
  }

  /** A write landed: there is space. */
  markWritten (): void {
    this.#full = false
  }

  isFull (): boolean {
    if (!this.#full) return false
    const now = this.now()
    if (now - this.#checkedAt < SPACE_RECHECK_MS) return true
    this.#checkedAt = now
    const available = availableBytes(this.dir)
    if (available !== undefined && available >= RESUME_ABOVE_BYTES) this.#full = false
    return this.#full
  }
}
