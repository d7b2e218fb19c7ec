/**
 * Ring checkpoints in the running engine (issue 13, item 4; docs/design.md, "Checkpoints").
 * The ring is a fold over every join and leave ever made, so without this every member
 * that ever left stays in every table and every full fold. The core holds the pure parts
 * (ring-checkpoint.ts: the fold's state at a cut; ring-checkpoint-agree.ts: propose,
 * reproduce, agree; codec-checkpoint.ts: canonical bytes and hash); this runs them:
 *
 * - On a slow timer (config.checkpointIntervalMs) a member takes up the latest cut
 *   another member advertises that its own table reproduces (same hash), else, with
 *   config.ringCheckpoints, proposes one (`proposedCut`), and advertises it in its own record.
 *   Checkpoints are computed once per cut and table (the cache is cleared when a record
 *   that moves the ring arrives).
 * - Every peer, whatever its config, follows: when every active member of weight > 0
 *   advertises the same checkpoint it adopts it (reproduced from its table); when every
 *   other one does and its table cannot reproduce it (a newcomer, a tab, a member restored
 *   from an old backup: the records it lacks were dropped), it asks an advertiser for the
 *   bytes (`ring-checkpoint`) and uses them only if they hash to the advertised hash.
 * - Adopting persists the checkpoint (meta 'ring-checkpoint') before the host folds from
 *   it and drops the records it makes compactable, so a restart folds from it too.
 */
import { agreedCheckpoint, checkpointHash, compactable, decodeCheckpoint, encodeCheckpoint, equalBytes, proposedCut, ringCheckpoint } from '@ringstore/core'
import type { CheckpointRef, MemberRecord, PeerId, RingCheckpoint } from '@ringstore/core'
import type { PeerConfig } from '../config.js'
import { DEFAULT_CONFIG } from '../config.js'
import { describeError } from '../errors.js'
import type { Clock, Logger, Storage, StorageOp, TimerHandle } from '../interfaces.js'
import { askRingCheckpoint } from '../protocol/ring-checkpoint.js'
import type { PeerRpc } from '../protocol/rpc.js'

/** Where the adopted checkpoint is kept (meta namespace; member-persist.ts holds the records). */
export const CHECKPOINT_KEY = 'ring-checkpoint'

/** Advertisers asked for a checkpoint in one step before waiting for the next. */
const FETCH_TRIES = 3

export type CheckpointConfig = Pick<PeerConfig, 'q' | 'weight'> &
  Partial<Pick<PeerConfig, 'ringCheckpoints' | 'checkpointIntervalMs' | 'checkpointSettleMs' | 'checkpointMinDrop'>>

export interface CheckpointDeps {
  readonly id: PeerId
  readonly config: CheckpointConfig
  readonly clock: Clock
  readonly storage: Storage
  readonly rpc: PeerRpc
  readonly log: Logger
}

/** What the checkpoints need of membership. */
export interface CheckpointHost {
  /** Every record of the table. */
  records(): MemberRecord[]
  /** The own record, once there is one. */
  self(): MemberRecord | undefined
  /** Announce the own record advertising `ref`. */
  advertise(ref: CheckpointRef): Promise<void>
  /** `checkpoint` was adopted and persisted: fold from it and drop what it makes compactable. */
  adopted(checkpoint: RingCheckpoint): Promise<void>
}

/** A checkpoint with its canonical bytes and hash. */
interface Held {
  readonly checkpoint: RingCheckpoint
  readonly bytes: Uint8Array
  readonly hash: Uint8Array
}

function held (checkpoint: RingCheckpoint, bytes = encodeCheckpoint(checkpoint)): Held {
  return { checkpoint, bytes, hash: checkpointHash(checkpoint) }
}

export function sameRef (a: CheckpointRef | undefined, b: CheckpointRef | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.cut === b.cut && equalBytes(a.hash, b.hash))
}

export class RingCheckpoints {
  readonly #ctx: CheckpointDeps
  readonly #host: CheckpointHost
  #adopted: Held | undefined
  /** Checkpoints computed from the current table, by cut. */
  readonly #computed = new Map<number, Held>()
  #timer: TimerHandle | undefined
  #stepping: Promise<void> | undefined
  #running = false

  constructor (deps: CheckpointDeps, host: CheckpointHost) {
    this.#ctx = deps
    this.#host = host
  }

  /** The checkpoint the ring folds from, if one was adopted. */
  get adopted (): RingCheckpoint | undefined {
    return this.#adopted?.checkpoint
  }

  /** What a member advertises for the adopted checkpoint. */
  adoptedRef (): CheckpointRef | undefined {
    return this.#adopted === undefined ? undefined : { cut: this.#adopted.checkpoint.cut, hash: this.#adopted.hash }
  }

  /** Whether `record` adds nothing to the ring after the adopted checkpoint (it is not kept). */
  isCompacted (record: MemberRecord): boolean {
    return this.#adopted !== undefined && compactable(record, this.#adopted.checkpoint)
  }

  /** The bytes of the checkpoint named `hash`, adopted or computed here (what `ring-checkpoint` answers). */
  bytesOf (hash: Uint8Array): Uint8Array | undefined {
    if (this.#adopted !== undefined && equalBytes(this.#adopted.hash, hash)) return this.#adopted.bytes
    for (const c of this.#computed.values()) if (equalBytes(c.hash, hash)) return c.bytes
    return undefined
  }

  /** A record that moves the ring arrived: computed checkpoints no longer stand for the table. */
  tableChanged (): void {
    this.#computed.clear()
  }

  /** The persisted checkpoint, if any (before the stored records are applied). */
  async load (): Promise<void> {
    const bytes = await this.#ctx.storage.get('meta', CHECKPOINT_KEY)
    if (bytes === undefined) return
    try {
      const checkpoint = decodeCheckpoint(bytes)
      if (checkpoint.q !== this.#ctx.config.q) throw new Error(`a checkpoint of ${checkpoint.q} partitions, the ring has ${this.#ctx.config.q}`)
      this.#adopted = held(checkpoint, bytes)
    } catch (error) {
      // The records it let us drop are gone: the ring is the members' again once they agree on the next one.
      this.#ctx.log.error('stored ring checkpoint unreadable: folding from the records alone', { error: describeError(error) })
    }
  }

  start (): void {
    this.#running = true
    this.#schedule()
  }

  stop (): void {
    this.#running = false
    if (this.#timer !== undefined) this.#ctx.clock.clearTimer(this.#timer)
    this.#timer = undefined
  }

  /** One step (see the file comment); a step running already is awaited instead. */
  async step (): Promise<void> {
    this.#stepping ??= this.#stepOnce().finally(() => { this.#stepping = undefined })
    await this.#stepping
  }

  /** Only the follow half of a step: adopt or fetch the checkpoint the members agree on (a newcomer's start). */
  async follow (): Promise<void> {
    await this.#follow(this.#host.records())
  }

  async #stepOnce (): Promise<void> {
    await this.#follow(this.#host.records())
    const self = this.#host.self()
    if (self === undefined || self.status !== 'active' || self.weight === 0) return
    const records = this.#host.records()
    const target = this.#choose(records, this.#ctx.config.ringCheckpoints === true)
    const ref = target === undefined ? this.adoptedRef() : { cut: target.checkpoint.cut, hash: target.hash }
    // Nothing to advertise (no checkpoint yet, or checkpoints off and none adopted): the
    // record stays without one, byte-identical to an older peer's.
    if (ref !== undefined && !sameRef(self.checkpoint, ref)) await this.#host.advertise(ref)
  }

  /**
   * Adopt the checkpoint every active member of weight > 0 advertises, or, when ours says
   * another (or none), every other one: reproduced from our table when it can be, else
   * fetched from them (our table lacks records they dropped, or holds one they lack: we
   * then fold as they do).
   */
  async #follow (records: MemberRecord[]): Promise<void> {
    const agreed = agreedCheckpoint(records) ?? agreedCheckpoint(records.filter((r) => r.id !== this.#ctx.id))
    if (agreed === undefined || !this.#isNewer(agreed)) return
    const chosen = this.#reproduce(records, agreed) ?? await this.#fetch(records, agreed)
    if (chosen !== undefined) await this.#adopt(chosen)
  }

  #isNewer (ref: CheckpointRef): boolean {
    return this.#adopted === undefined || ref.cut > this.#adopted.checkpoint.cut
  }

  /** The checkpoint at `ref.cut` of our table, if its hash is `ref.hash`. */
  #reproduce (records: readonly MemberRecord[], ref: CheckpointRef): Held | undefined {
    const mine = this.#at(records, ref.cut)
    return mine !== undefined && equalBytes(mine.hash, ref.hash) ? mine : undefined
  }

  /** Our table's checkpoint at `cut` (from the adopted one), computed once per cut and table. */
  #at (records: readonly MemberRecord[], cut: number): Held | undefined {
    const base = this.#adopted?.checkpoint
    if (base !== undefined && cut <= base.cut) return undefined
    let c = this.#computed.get(cut)
    if (c === undefined) {
      c = held(ringCheckpoint(records, this.#ctx.config.q, cut, base))
      this.#computed.set(cut, c)
    }
    return c
  }

  /**
   * What to advertise: the latest cut a member advertises (past the adopted one) that our
   * table reproduces, so that proposals made at different times converge on one; else a
   * cut of our own, when there is one worth compacting at (`propose`: config.ringCheckpoints).
   * A member without it still takes up what another proposes: it would hold the cluster's
   * checkpoints back otherwise, and a proposal means the members run this version.
   */
  #choose (records: readonly MemberRecord[], propose: boolean): Held | undefined {
    const after = this.#adopted?.checkpoint.cut ?? -1
    const refs = records
      .filter((r) => r.status === 'active' && r.weight > 0 && r.checkpoint !== undefined && r.checkpoint.cut > after)
      .map((r) => r.checkpoint as CheckpointRef)
      .sort((a, b) => b.cut - a.cut)
    for (const ref of refs) {
      const mine = this.#reproduce(records, ref)
      if (mine !== undefined) return mine
    }
    if (!propose) return undefined
    const { config } = this.#ctx
    const cut = proposedCut(records, this.#ctx.clock.now(), config.checkpointSettleMs ?? DEFAULT_CONFIG.checkpointSettleMs,
      config.checkpointMinDrop ?? DEFAULT_CONFIG.checkpointMinDrop, this.#adopted?.checkpoint)
    return cut === undefined ? undefined : this.#at(records, cut)
  }

  /** The bytes of `ref` from the members advertising it, checked: they must hash to `ref.hash` and be a checkpoint at `ref.cut` of our ring. */
  async #fetch (records: readonly MemberRecord[], ref: CheckpointRef): Promise<Held | undefined> {
    const advertisers = records
      .filter((r) => r.id !== this.#ctx.id && r.status === 'active' && r.weight > 0 && sameRef(r.checkpoint, ref))
      .map((r) => r.id)
    for (let tries = 0; tries < FETCH_TRIES && advertisers.length > 0; tries++) {
      const at = Math.floor(this.#ctx.clock.random() * advertisers.length) % advertisers.length
      const peer = advertisers.splice(at, 1)[0] as PeerId
      try {
        const bytes = await askRingCheckpoint(this.#ctx.rpc, peer, ref.hash)
        const checkpoint = decodeCheckpoint(bytes)
        const got = held(checkpoint, bytes)
        if (!equalBytes(got.hash, ref.hash) || checkpoint.cut !== ref.cut || checkpoint.q !== this.#ctx.config.q) {
          this.#ctx.log.warn('refusing a ring checkpoint that is not the one the members agreed on', { peer, cut: checkpoint.cut })
          continue
        }
        return got
      } catch (error) {
        this.#ctx.log.debug('ring checkpoint fetch failed', { peer, error: describeError(error) })
      }
    }
    return undefined
  }

  /** Persist `c`, then hand it to the host (fold from it, drop the compactable records). */
  async #adopt (c: Held): Promise<void> {
    const op: StorageOp = { ns: 'meta', key: CHECKPOINT_KEY, value: c.bytes }
    await this.#ctx.storage.write([op])
    this.#adopted = c
    this.#computed.clear()
    this.#ctx.log.info('ring checkpoint adopted', { cut: c.checkpoint.cut, members: c.checkpoint.members.length })
    await this.#host.adopted(c.checkpoint)
  }

  #schedule (): void {
    const period = this.#ctx.config.checkpointIntervalMs ?? DEFAULT_CONFIG.checkpointIntervalMs
    this.#timer = this.#ctx.clock.setTimer(period, () => {
      this.#timer = undefined
      if (!this.#running) return
      this.step().catch((error: unknown) => {
        this.#ctx.log.error('ring checkpoint step failed', { error: describeError(error) })
      }).finally(() => {
        if (this.#running && this.#timer === undefined) this.#schedule()
      })
    })
  }
}
