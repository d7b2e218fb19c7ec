/**
 * `ringstore leave`: make a running daemon leave the cluster for good and wait until it
 * handed everything off and stopped. The daemon does the work (leave.ts, POST
 * /admin/leave); this command starts it, prints progress on stderr, and exits 0 once the
 * daemon is drained and gone, or 1 at --timeout naming what it still held (the daemon
 * goes on; running the command again resumes the wait).
 */
import { DEFAULT_DATA_DIR, DEFAULT_LEAVE_TIMEOUT_S, LEAVE_POLL_MS, LEAVE_PROGRESS_EVERY_MS } from './constants.js'
import { connect, expectStatus, OperatorError, requestJson, UnreachableError } from './daemon-client.js'
import type { Connection } from './daemon-client.js'
import { readLeftMarker } from './left-marker.js'
import type { LeaveProgress } from './leave.js'
import { isLiveDaemon } from './lock.js'
import { parseLeaveArgs } from './operator-args.js'

export const LEAVE_HELP = `ringstore leave [--data-dir DIR | --http HOST:PORT --http-token-file FILE] [--timeout SECONDS]
  Make the running daemon of DIR (${DEFAULT_DATA_DIR}; found through DIR/daemon.json), or the one
  serving HTTP at HOST:PORT, leave the cluster for good. It announces that it left (the
  other members recompute the ring without it), hands every key it holds to the keys' new
  owners (a key is deleted only once every new owner acknowledged it), delivers its
  hints, and stops once it holds neither. Progress goes to stderr; at the end one JSON
  line {"peerId","left":true,"keysAtStart","keysMoved"} on stdout, exit 0.
  --timeout SECONDS  stop waiting after this long (${DEFAULT_LEAVE_TIMEOUT_S}) and exit 1, naming what the daemon
                     still holds. The daemon has left the ring by then and goes on handing
                     off, stopping once done: run ringstore leave again to keep waiting.
  A daemon that left never starts again on its data dir (start a new member on an empty one).
  --http-token-file FILE  the daemon's HTTP bearer token (required with --http; with --data-dir
                          by default the file DIR/daemon.json names, else DIR/http-token).
`

export async function leaveCommand (argv: readonly string[]): Promise<number> {
  const options = parseLeaveArgs(argv)
  if (options === null) {
    process.stdout.write(LEAVE_HELP)
    return 0
  }
  const deadline = performance.now() + options.timeoutS * 1000
  const daemon = await connect(options.target)
  // The daemon refuses a leave that names another peer: daemon.json's id when we have it,
  // else the id the daemon at --http says it has (the operator named that daemon).
  const peerId = daemon.peerId ?? String(expectStatus(await requestJson(daemon, 'GET', '/status'), 200, 'GET /status').peerId)
  let progress = expectStatus(await requestJson(daemon, 'POST', '/admin/leave', { peerId }), 202, 'POST /admin/leave') as unknown as LeaveProgress
  note(`peer ${peerId} at ${daemon.base} is leaving the cluster for good`)
  const printer = progressPrinter()
  while (progress.state !== 'drained') {
    printer(progress)
    if (performance.now() > deadline) {
      process.stderr.write(`ringstore leave: timed out after ${options.timeoutS} s: peer ${peerId} still holds ${held(progress)}${progress.lastError === undefined ? '' : ` (last hand-off error: ${progress.lastError})`}. ` +
        'It has left the ring for good and goes on handing off, stopping once done: run ringstore leave again to keep waiting.\n')
      return 1
    }
    await sleep(LEAVE_POLL_MS)
    try {
      progress = expectStatus(await requestJson(daemon, 'GET', '/admin/leave'), 200, 'GET /admin/leave') as unknown as LeaveProgress
    } catch (error) {
      if (!(error instanceof UnreachableError)) throw error
      // Gone between two looks: drained and stopped (it lingers for us, but we may have
      // been slow), or stopped early. Its left marker tells which.
      if ((await readLeftMarker(progress.dataDir))?.drained !== true) {
        throw new OperatorError(`the daemon stopped before its hand-off finished; at the last look it held ${held(progress)} (its data dir: ${progress.dataDir}; it cannot be restarted there: the engine does not resume a leave)`)
      }
      progress = { ...progress, state: 'drained', keys: 0, partitions: 0, hintsPending: 0 }
    }
  }
  note(`peer ${peerId} handed everything off (it held ${String(progress.keysAtStart)} keys when it started leaving); waiting for it to stop`)
  if (!await stopped(daemon, deadline)) {
    process.stderr.write(`ringstore leave: timed out after ${options.timeoutS} s: peer ${peerId} handed everything off but has not stopped yet\n`)
    return 1
  }
  process.stdout.write(`${JSON.stringify({ peerId, left: true, keysAtStart: progress.keysAtStart, keysMoved: progress.keysMoved })}\n`)
  return 0
}

function held (progress: LeaveProgress): string {
  return `${progress.keys} key${progress.keys === 1 ? '' : 's'} in ${progress.partitions} partition${progress.partitions === 1 ? '' : 's'} it no longer owns and ${progress.hintsPending} hint${progress.hintsPending === 1 ? '' : 's'} pending`
}

/** Prints a progress line when what is held changed, and at least every LEAVE_PROGRESS_EVERY_MS. */
function progressPrinter (): (progress: LeaveProgress) => void {
  let last = ''
  let at = 0
  return (progress) => {
    const line = `handing off: ${held(progress)} (${String(progress.keysAtStart)} keys when it started leaving)`
    if (line === last && performance.now() - at < LEAVE_PROGRESS_EVERY_MS) return
    last = line
    at = performance.now()
    note(line)
  }
}

/** Waits until the daemon's process is gone (pid known) or its HTTP port refuses; false at the deadline. */
async function stopped (daemon: Connection, deadline: number): Promise<boolean> {
  while (performance.now() <= deadline) {
    if (daemon.pid !== undefined) {
      if (!await isLiveDaemon(daemon.pid)) return true
    } else {
      try {
        await requestJson(daemon, 'GET', '/status')
      } catch (error) {
        if (error instanceof UnreachableError) return true
        throw error
      }
    }
    await sleep(LEAVE_POLL_MS)
  }
  return false
}

function note (line: string): void {
  process.stderr.write(`ringstore leave: ${line}\n`)
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
