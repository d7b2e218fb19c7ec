/**
 * When an lmdb-js commit fails (a full disk), lmdb-js rejects every write promise of the
 * batch, including internal ones no caller can reach, each with an error carrying the
 * cause as `commitError`. The caller's own promise is handled (fs-storage.ts turns it into
 * StorageFullError or rethrows it); an unreachable one would be an unhandled rejection,
 * and Node ends the process for those: a full disk crashed the daemon. This guard takes
 * exactly those errors off that path. Anything else still crashes the process as before:
 * the handler rethrows it, which Node reports as an uncaught exception.
 */
let installed = false

export function guardCommitRejections (): void {
  if (installed) return
  installed = true
  process.on('unhandledRejection', (reason) => {
    const pending = reason instanceof Error ? (reason as { commitError?: unknown }).commitError : undefined
    if (!(pending instanceof Promise)) throw reason
    // The cause is reported by the write that failed; here it only must not go unheard.
    pending.catch(() => undefined)
  })
}
