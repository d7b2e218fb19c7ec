/**
 * Leaving the cluster for good (`ringstore leave`, POST /admin/leave; Dynamo §4.8.1,
 * Riak's `cluster leave`). The daemon drives it itself, so that it completes even when
 * the operator's command is interrupted:
 *
 * 1. the left marker goes to disk (left-marker.ts: no restart on this data dir after this),
 * 2. `Peer.leave()` announces the durable 'left' record (the others recompute the ring
 *    without us) and runs ownership transfer once,
 * 3. until nothing is left: transfer again (it deletes a key only after every new owner
 *    acknowledged it) and deliver hints, every LEAVE_CHECK_MS,
 * 4. drained = no keys and no hints, twice, LEAVE_SETTLE_MS apart (a member that had not
 *    yet heard of our leave may still have sent us a write; the second look catches it),
 * 5. the daemon then stops itself (`finished`), as soon as someone read the drained
 *    progress (the waiting `ringstore leave`) or after LEAVE_LINGER_MS.
 *
 * Why the daemon stops itself rather than waiting to be told: a member that left owns
 * nothing and serves nothing of its own; if the operator's command died (Ctrl-C, a lost
 * ssh session, its --timeout) a daemon waiting for a stop order would run on, left and
 * useless, until someone noticed. The linger is only there so that the waiting command
 * sees "drained" before the HTTP port goes away.
 *
 * A light daemon (weight 0) owns nothing even before leaving and never transfers: its
 * keys are a cache of what it read and wrote, whose writes reach the owners as hints. So
 * for it drained means no hints.
 */
import { partitionOf } from '@ringstore/core'
import type { Logger, Peer } from '@ringstore/peer'
import { LEAVE_CHECK_MS, LEAVE_LINGER_MS, LEAVE_SETTLE_MS } from './constants.js'
import { writeLeftMarker } from './left-marker.js'

/** `member`: not leaving; `leaving`: handing off; `drained`: nothing left, the daemon stops. */
export type LeaveState = 'member' | 'leaving' | 'drained'

export interface LeaveProgress {
  readonly state: LeaveState
  readonly peerId: string
  /** Absolute: lets a command that found us by --http read the left marker after we stopped. */
  readonly dataDir: string
  /** When the leave started (ms since the epoch), or null. */
  readonly startedAt: number | null
  /** Keys still held. After the leave this peer owns nothing, so each one is still to hand off. */
  readonly keys: number
  /** Partitions those keys fall in. */
  readonly partitions: number
  readonly hintsPending: number
  /** Keys held when the leave started, or null. */
  readonly keysAtStart: number | null
  /** Keys the hand-off acknowledged by every new owner so far. */
  readonly keysMoved: number
  /** The last hand-off failure, if the last attempt failed. */
  readonly lastError?: string
}

export interface LeaveDeps {
  readonly peer: Peer
  /** Absolute path of the data dir. */
  readonly dataDir: string
  readonly log: Logger
}

export class Leave {
  readonly #deps: LeaveDeps
  #state: LeaveState = 'member'
  #startedAt: number | null = null
  #started: Promise<void> | undefined
  #keysAtStart: number | null = null
  #keysMoved = 0
  #lastError: string | undefined
  /** The last count of partitions holding keys, and when it was made (a scan of the store). */
  #partitions = { count: 0, at: 0 }
  #scanning: Promise<number> | undefined
  #stopped = false
  #wake: (() => void) | undefined
  #reported = false
  #finish: () => void = () => undefined
  /** Resolves when the leave is over and the daemon should stop (see the file comment). */
  readonly finished: Promise<void>

  constructor (deps: LeaveDeps) {
    this.#deps = deps
    this.finished = new Promise((resolve) => { this.#finish = resolve })
  }

  get state (): LeaveState {
    return this.#state
  }

  get peerId (): string {
    return this.#deps.peer.id
  }

  /**
   * Starts the leave (once: later calls only wait for the same start). Resolves once the
   * left marker is durable; the 'left' record and the hand-off follow in the background
   * (the first transfer run may take long, and the caller only needs to know it began).
   */
  async begin (): Promise<void> {
    // A start that failed (the marker could not be written: nothing announced) may be retried.
    this.#started ??= this.#begin().catch((error: unknown) => {
      this.#started = undefined
      throw error
    })
    await this.#started
  }

  /** Where the leave stands now. Reading 'drained' lets the daemon stop (file comment, 5). */
  async progress (): Promise<LeaveProgress> {
    const { peer, dataDir } = this.#deps
    const held = this.#state === 'member' ? { ...this.#now(), partitions: 0 } : await this.#measure()
    const progress: LeaveProgress = {
      state: this.#state,
      peerId: peer.id,
      dataDir,
      startedAt: this.#startedAt,
      ...held,
      keysAtStart: this.#keysAtStart,
      keysMoved: this.#keysMoved,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError })
    }
    if (this.#state === 'drained' && !this.#reported) {
      this.#reported = true
      this.#finish()
    }
    return progress
  }

  /**
   * Why this peer may not leave now, or undefined. Leaving when no other active member owns
   * partitions would strand every key it holds (nobody to hand them to) on a data dir no
   * daemon may start on again.
   */
  refusal (): string | undefined {
    if (this.#state !== 'member') return undefined
    const { peer } = this.#deps
    const others = peer.members().filter((m) => m.id !== peer.id && m.status === 'active' && m.weight > 0)
    if (others.length === 0) return 'no other active member owns partitions: the data held here would have nowhere to go'
    return undefined
  }

  /** The daemon is stopping: end the hand-off loop (a restart is refused: left-marker.ts). */
  stop (): void {
    this.#stopped = true
    this.#wake?.()
  }

  /**
   * Finishes a leave a previous run of this daemon started (left.json, not drained): the
   * peer was started as the member that left (PeerOptions.resumeLeave); if the 'left'
   * record never went out (a crash right after the marker), it goes out now.
   */
  resume (leftAt: number): void {
    const { peer, log } = this.#deps
    this.#startedAt = leftAt
    this.#keysAtStart = this.#now().keys
    this.#state = 'leaving'
    this.#started = Promise.resolve()
    void (async () => {
      if (peer.status().self.status !== 'left') this.#keysMoved += (await peer.leave()).keysMoved
      await this.#drain()
    })().catch((error: unknown) => {
      this.#lastError = error instanceof Error ? error.message : String(error)
      if (!this.#stopped) log.error('resumed leave failed; it is not finished', { error })
    })
  }

  async #begin (): Promise<void> {
    const { peer, dataDir, log } = this.#deps
    this.#startedAt = Date.now()
    await writeLeftMarker(dataDir, { peerId: peer.id, leftAt: this.#startedAt, drained: false })
    this.#keysAtStart = this.#now().keys
    this.#state = 'leaving'
    log.info('leaving the cluster for good', { peerId: peer.id })
    void (async () => {
      this.#keysMoved += (await peer.leave()).keysMoved
      await this.#drain()
    })().catch((error: unknown) => {
      this.#lastError = error instanceof Error ? error.message : String(error)
      if (!this.#stopped) log.error('leave failed; it is not finished', { error })
    })
  }

  async #drain (): Promise<void> {
    const { peer, dataDir, log } = this.#deps
    let emptySince: number | undefined
    while (!this.#stopped) {
      const held = this.#now()
      const empty = held.keys === 0 && held.hintsPending === 0
      if (!empty) emptySince = undefined
      else if (emptySince === undefined) emptySince = Date.now()
      else if (Date.now() - emptySince >= LEAVE_SETTLE_MS) break
      if (!empty) await this.#handOff()
      await this.#sleep(empty ? LEAVE_SETTLE_MS : LEAVE_CHECK_MS)
    }
    if (this.#stopped) return
    try {
      await writeLeftMarker(dataDir, { peerId: peer.id, leftAt: this.#startedAt ?? Date.now(), drained: true })
    } catch (error) {
      // The restart stays refused either way; only the message would claim an unfinished hand-off.
      log.warn('could not mark the leave as drained', { error })
    }
    this.#state = 'drained'
    log.info('left the cluster: every key handed off, no hints left; stopping', { peerId: peer.id, keysAtStart: this.#keysAtStart })
    setTimeout(() => { this.#finish() }, LEAVE_LINGER_MS).unref()
  }

  /** One transfer run and one hint delivery round, both through the engine's maintenance hooks. */
  async #handOff (): Promise<void> {
    const { peer } = this.#deps
    try {
      this.#keysMoved += (await peer.runTransfer()).keysMoved
      await peer.deliverHints()
      this.#lastError = undefined
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : String(error)
      if (!this.#stopped) this.#deps.log.warn('hand-off attempt failed; retrying', { error })
    }
  }

  /**
   * Keys and hints held now (counters: cheap), and the partitions of those keys: a scan of
   * what is left, redone at most every LEAVE_CHECK_MS however often progress is asked for.
   */
  async #measure (): Promise<{ keys: number, partitions: number, hintsPending: number }> {
    const now = this.#now()
    if (now.keys === 0) return { ...now, partitions: 0 }
    if (Date.now() - this.#partitions.at >= LEAVE_CHECK_MS) {
      this.#scanning ??= this.#countPartitions().finally(() => { this.#scanning = undefined })
      this.#partitions = { count: await this.#scanning, at: Date.now() }
    }
    return { ...now, partitions: this.#partitions.count }
  }

  async #countPartitions (): Promise<number> {
    const q = this.#deps.peer.config.q
    const seen = new Set<number>()
    for await (const [key] of this.#deps.peer.localEntries()) seen.add(partitionOf(key, q))
    return seen.size
  }

  #now (): { keys: number, hintsPending: number } {
    const status = this.#deps.peer.status()
    // A light peer's keys are a cache it owes nobody (file comment).
    const keys = this.#deps.peer.config.weight > 0 ? status.keys : 0
    return { keys, hintsPending: status.hintsPending }
  }

  async #sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.#wake = undefined; resolve() }, ms)
      this.#wake = () => { clearTimeout(timer); this.#wake = undefined; resolve() }
    })
  }
}
