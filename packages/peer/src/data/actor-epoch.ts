/**
 * The actor a replica store mints dots with, `${peerId}:${epoch}`, and when its epoch
 * must move on.
 *
 * A dot may only be minted by an actor whose every earlier value is still held locally: a
 * mint numbers the new dot from the actor's counter in the stored clock, so if this peer
 * had dropped a key whose clock held its own dots (tombstone GC, hand-off of a partition,
 * a corrupt record) and then coordinated a new write of it, it would mint a dot it had
 * already used for a different value, and replicas still holding the old one would treat
 * the new write as already seen (Riak's vnode epochs solve the same problem). So before
 * such a drop the epoch is bumped, durably, and later dots come from a fresh actor that
 * has minted nothing yet.
 *
 * Staged mints (replica-store.ts) open the same hazard: a replica may hold a dot the local
 * disk never got (a crash, or a failed write, before it was durable). Same answer: the
 * epoch is bumped on any start not preceded by a clean shutdown (a durable marker written
 * by close() once no staged write is in flight, and removed at open before anything is
 * minted), and after a failed staged write before the next mint. A store that never stages
 * (a light peer: a browser tab rarely closes cleanly) writes the marker at open, so it
 * never bumps for an unclean stop of its own.
 */
import { openRecord, sealRecord } from '@ringstore/core'
import type { Logger, Storage, StorageOp } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import { KeyedLock } from './keyed-lock.js'

/**
 * Meta keys of the durable actor epoch: two sealed copies written in one atomic batch, so
 * one corrupt copy still leaves the epoch known (the stored clocks only give a lower
 * bound: a dropped key may have carried the latest epoch's dots away).
 */
export const EPOCH_META_KEYS = ['actor-epoch', 'actor-epoch-copy'] as const

/** Meta key of the clean-shutdown marker: present and intact only while no staged write can be missing from disk. */
export const CLEAN_SHUTDOWN_KEY = 'clean-shutdown'

/** The epoch of `actor` if it is one of `peer`'s actors (`${peer}:${epoch}`), else undefined. */
export function epochOfActor (actor: string, peer: string): number | undefined {
  if (!actor.startsWith(`${peer}:`)) return undefined
  const rest = actor.slice(peer.length + 1)
  return /^[1-9][0-9]*$/.test(rest) ? Number(rest) : undefined
}

/** What the meta namespace held at open. */
export interface StoredEpoch {
  /** The larger epoch of the copies that open cleanly; undefined when none is stored or none opens. */
  readonly epoch: number | undefined
  /** An intact clean-shutdown marker was stored. */
  readonly clean: boolean
}

/** What the scan of the data at open saw. */
export interface DataSeen {
  /** The highest epoch of this peer's actors in any stored clock (0: none). */
  readonly highestEpoch: number
  /** Records that failed to open: our latest dots may have been in them. */
  readonly corrupt: number
}

export interface EpochAtOpen {
  readonly epoch: number
  /** The data knew of a later epoch than the meta records, or lost records: they were behind. */
  readonly behindData: boolean
  /** Bumped because the last run did not stop cleanly. */
  readonly uncleanStop: boolean
}

/**
 * The epoch to run with after open. `wallClockMs`: a store that starts without any epoch
 * under an id that may have been used before (wiped storage, same identity) must not reuse
 * that id's old dots, so its first epoch is the current time in ms rather than 1.
 */
export function epochAtOpen (stored: StoredEpoch, seen: DataSeen, wallClockMs: number): EpochAtOpen {
  let epoch = stored.epoch ?? 0
  // Move past everything we can see (best effort: with both epoch copies lost, a dropped
  // key's dots are unseen).
  const behindData = epoch < seen.highestEpoch || seen.corrupt > 0
  if (behindData) epoch = Math.max(epoch, seen.highestEpoch) + 1
  // A staged write of the last run may have reached a replica and not our disk.
  const uncleanStop = stored.epoch !== undefined && !stored.clean && epoch === stored.epoch
  if (uncleanStop) epoch += 1
  if (stored.epoch === undefined) epoch = Math.max(epoch, Math.floor(wallClockMs))
  return { epoch: Math.max(epoch, 1), behindData, uncleanStop }
}

export interface ActorEpochDeps {
  readonly id: string
  readonly storage: Storage
  readonly log: Logger
  readonly metrics: PeerMetrics
  readonly now?: () => number
  /** The store stages mints: it is "unclean" from open until close() records otherwise. */
  readonly stages: boolean
}

/** The current epoch of one replica store, its durable copies and the clean-shutdown marker. */
export class ActorEpoch {
  readonly #deps: ActorEpochDeps
  /** Serialises bumps (read epoch, persist epoch + 1). */
  readonly #lock = new KeyedLock()
  #epoch = 0
  /** `${id}:${epoch}`, built once per epoch rather than once per mint. */
  #actor = ''
  #owed = false

  constructor (deps: ActorEpochDeps) {
    this.#deps = deps
  }

  /** 0 until open settled it. */
  get current (): number {
    return this.#epoch
  }

  actor (): string {
    if (this.#epoch === 0) throw new Error('replica store used before open()')
    return this.#actor
  }

  /** A staged write failed and no bump has covered it yet: its dot may be out there. */
  get owed (): boolean {
    return this.#owed
  }

  /** The epoch and the marker as stored. Read at open, before the data is scanned. */
  async load (): Promise<StoredEpoch> {
    const epoch = await this.#loadEpoch()
    return { epoch, clean: await this.#loadCleanMarker() }
  }

  /** Decide the epoch at open (epochAtOpen) and persist it with the marker this run starts with. */
  async settle (stored: StoredEpoch, seen: DataSeen): Promise<void> {
    const { log, storage } = this.#deps
    const { epoch, behindData, uncleanStop } = epochAtOpen(stored, seen, this.#deps.now?.() ?? 0)
    if (behindData && stored.epoch !== undefined) {
      log.error('actor epoch moved forward on open', { stored: stored.epoch, highestSeen: seen.highestEpoch, corrupt: seen.corrupt })
    }
    if (uncleanStop) log.info('no clean shutdown recorded: moving to a new actor epoch', { stored: stored.epoch })
    // A staging store is "unclean" until close(); one that never stages is clean throughout.
    const wantMarker = !this.#deps.stages
    const marker: StorageOp = { ns: 'meta', key: CLEAN_SHUTDOWN_KEY, value: wantMarker ? CLEAN_MARKER : null }
    if (epoch !== stored.epoch || stored.clean !== wantMarker) {
      await storage.write([...(epoch !== stored.epoch ? epochOps(epoch) : []), marker])
    }
    this.#set(epoch)
    this.#owed = false
  }

  /** A staged write failed: bump before the next mint (bumpIfOwed). */
  owe (): void {
    this.#owed = true
  }

  /** The bump a failed staged write owes: once, even when many mints wait here. */
  async bumpIfOwed (): Promise<void> {
    await this.#lock.run('epoch', async () => {
      if (!this.#owed) return
      const next = this.#epoch + 1
      await this.#deps.storage.write(epochOps(next))
      this.#set(next)
      this.#owed = false
      this.#deps.log.warn('actor epoch bumped after a failed staged write', { actor: this.#actor })
    })
  }

  /** Persist epoch + 1 atomically with `ops`, then switch to it. */
  bump (ops: readonly StorageOp[]): Promise<void> {
    return this.#lock.run('epoch', async () => {
      const next = this.#epoch + 1
      await this.#deps.storage.write([...epochOps(next), ...ops])
      this.#set(next)
      // Any bump moves past a failed staged write's epoch too (it was minted before this).
      this.#owed = false
      this.#deps.log.info('actor epoch bumped', { actor: this.#actor })
    })
  }

  /**
   * Write the marker, durably, unless a failed staged write is still owed a bump. Call once
   * no staged write is in flight; never fails (a missing marker only costs a bump at the
   * next open).
   */
  async recordCleanShutdown (): Promise<void> {
    if (this.#owed) return
    try {
      await this.#deps.storage.write([{ ns: 'meta', key: CLEAN_SHUTDOWN_KEY, value: CLEAN_MARKER }])
    } catch (error) {
      this.#deps.log.warn('could not record a clean shutdown; the next start moves to a new epoch', {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      })
    }
  }

  #set (epoch: number): void {
    this.#epoch = epoch
    this.#actor = `${this.#deps.id}:${epoch}`
  }

  async #loadEpoch (): Promise<number | undefined> {
    const copies = await this.#deps.storage.getMany('meta', EPOCH_META_KEYS)
    const epochs: number[] = []
    for (const bytes of copies) {
      if (bytes === undefined) continue
      const epoch = decodeEpoch(bytes)
      if (epoch !== undefined) epochs.push(epoch)
      else {
        this.#deps.metrics.corruptRecords++
        this.#deps.log.error('corrupt actor epoch record')
      }
    }
    return epochs.length === 0 ? undefined : Math.max(...epochs)
  }

  async #loadCleanMarker (): Promise<boolean> {
    const bytes = await this.#deps.storage.get('meta', CLEAN_SHUTDOWN_KEY)
    if (bytes === undefined) return false
    try {
      openRecord(bytes)
      return true
    } catch {
      this.#deps.metrics.corruptRecords++
      this.#deps.log.error('corrupt clean-shutdown marker (treated as an unclean stop)')
      return false
    }
  }
}

/** The marker's value: an empty sealed record (the seal tells a torn write from a marker). */
const CLEAN_MARKER = sealRecord(new Uint8Array(0))

function epochOps (epoch: number): StorageOp[] {
  const value = sealRecord(new TextEncoder().encode(String(epoch)))
  return EPOCH_META_KEYS.map((key) => ({ ns: 'meta' as const, key, value }))
}

function decodeEpoch (bytes: Uint8Array): number | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(openRecord(bytes))
    return /^[1-9][0-9]{0,15}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined
  } catch {
    return undefined
  }
}
