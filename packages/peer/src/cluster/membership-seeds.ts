/**
 * Joining through seeds: dial every configured seed address and pull its member table.
 * A seed that cannot be dialled or does not answer is retried with exponential back-off
 * (via the injected clock) until one pull from it succeeded: seeds may start after us.
 */
import type { PeerId } from '@ringstore/core'
import { SEED_DIAL_TIMEOUT_MS, SEED_RETRY_BASE_MS, SEED_RETRY_MAX_MS } from '../constants.js'
import { describeError } from '../errors.js'
import type { Clock, Logger, Network, TimerHandle } from '../interfaces.js'

export interface SeedDialerDeps {
  readonly clock: Clock
  readonly network: Pick<Network, 'dial'>
  readonly log: Logger
}

class DialTimeoutError extends Error {
  static override name = 'DialTimeoutError'
  override name = 'DialTimeoutError'
}

export class SeedDialer {
  readonly #ctx: SeedDialerDeps
  readonly #pull: (peer: PeerId) => Promise<boolean>
  readonly #timers = new Map<string, TimerHandle>()
  #running = false

  /** `pull` fetches and applies a peer's table; false when the peer did not answer. */
  constructor (ctx: SeedDialerDeps, pull: (peer: PeerId) => Promise<boolean>) {
    this.#ctx = ctx
    this.#pull = pull
  }

  /** Resolves after the first attempt at every seed (the failed ones keep retrying). */
  async start (seeds: readonly string[]): Promise<void> {
    this.#running = true
    await Promise.all([...new Set(seeds)].map(async (address) => { await this.#attempt(address, SEED_RETRY_BASE_MS) }))
  }

  stop (): void {
    this.#running = false
    for (const timer of this.#timers.values()) this.#ctx.clock.clearTimer(timer)
    this.#timers.clear()
  }

  async #attempt (address: string, nextDelayMs: number): Promise<void> {
    if (!this.#running) return
    try {
      const peer = await this.#dial(address)
      if (await this.#pull(peer)) return
      this.#ctx.log.warn('seed did not answer the member pull', { address, peer })
    } catch (error) {
      this.#ctx.log.warn('seed dial failed', { address, retryInMs: nextDelayMs, error: describeError(error) })
    }
    if (!this.#running) return
    const timer = this.#ctx.clock.setTimer(nextDelayMs, () => {
      this.#timers.delete(address)
      void this.#attempt(address, Math.min(nextDelayMs * 2, SEED_RETRY_MAX_MS))
    })
    this.#timers.set(address, timer)
  }

  /** network.dial, bounded by SEED_DIAL_TIMEOUT_MS on the injected clock. */
  async #dial (address: string): Promise<PeerId> {
    let timer: TimerHandle | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = this.#ctx.clock.setTimer(SEED_DIAL_TIMEOUT_MS, () => {
        reject(new DialTimeoutError(`dial ${address} timed out after ${SEED_DIAL_TIMEOUT_MS} ms`))
      })
    })
    try {
      return await Promise.race([this.#ctx.network.dial(address), timeout])
    } finally {
      if (timer !== undefined) this.#ctx.clock.clearTimer(timer)
    }
  }
}
