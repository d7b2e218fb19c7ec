/**
 * The hint age limit: a background pass deletes every hint first stored more than
 * config.hintMaxAgeMs ago (data/hint-store.ts expire), counts them
 * (metrics.hintsExpired) and logs one line per pass with the counts per target.
 *
 * Nothing is lost by it: a hint is an extra copy. The version it carries was also written
 * to the coordinator's replicas (a put is acknowledged by them, and the coordinator keeps
 * its own copy even when the quorum fails), and anti-entropy (cluster/anti-entropy.ts)
 * brings the target up to date from them once it is back. Expiry only bounds how long a
 * target that never comes back (nor is removed) keeps holding disk here.
 *
 * The pass runs every quarter of the age limit (a hint lives at most 1.25 × the limit),
 * at most HINT_EXPIRY_PERIOD_MAX_MS apart. It walks only the in-memory index.
 */
import type { PeerId } from '@ringstore/core'
import type { PeerConfig } from '../config.js'
import { HINT_EXPIRY_PERIOD_MAX_MS } from '../constants.js'
import { describeError } from '../errors.js'
import type { Clock, Logger } from '../interfaces.js'
import { PeriodicTask, SerialRunner } from './timers.js'

export interface HintExpiryDeps {
  readonly config: Pick<PeerConfig, 'hintMaxAgeMs' | 'antiEntropyIntervalMs'>
  readonly clock: Clock
  readonly log: Logger
  readonly hints: { expire(): Promise<Map<PeerId, number>> }
}

export class HintExpiry {
  readonly #ctx: HintExpiryDeps
  readonly #runner = new SerialRunner()
  readonly #periodic: PeriodicTask

  constructor (ctx: HintExpiryDeps) {
    this.#ctx = ctx
    const { antiEntropyIntervalMs, hintMaxAgeMs } = ctx.config
    // antiEntropyIntervalMs = 0 means background maintenance runs only when asked (as tombstone-gc.ts).
    const period = antiEntropyIntervalMs > 0 ? Math.min(Math.max(hintMaxAgeMs / 4, 1), HINT_EXPIRY_PERIOD_MAX_MS) : 0
    this.#periodic = new PeriodicTask(ctx.clock, period, async () => await this.runOnce())
  }

  start (): void {
    this.#periodic.start()
  }

  stop (): void {
    this.#periodic.stop()
  }

  /** One pass; resolves with the number of hints expired (0 when the pass failed: logged). */
  async runOnce (): Promise<number> {
    return await this.#runner.run(async () => {
      const { hints, log, config } = this.#ctx
      try {
        const byTarget = await hints.expire()
        let expired = 0
        for (const count of byTarget.values()) expired += count
        if (expired > 0) log.info('expired hints older than the age limit', { expired, maxAgeMs: config.hintMaxAgeMs, byTarget: Object.fromEntries(byTarget) })
        return expired
      } catch (error) {
        log.error('hint expiry pass failed', { error: describeError(error) })
        return 0
      }
    })
  }
}
