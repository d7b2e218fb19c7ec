/**
 * The daemon's stop sequence: named steps, undone most recent first, each given a bounded
 * time. A step that does not finish in time is logged by name and left behind, and the
 * sequence goes on (the store still closes, the data-dir lock is still released); the stop
 * then fails with ShutdownIncompleteError, so the process exits 1 instead of idling for
 * ever after SIGTERM. (One CI run once saw a daemon answer HTTP for minutes after SIGTERM,
 * waiting on a promise that never settled; nothing said which.)
 */
import type { Logger } from '@ringstore/peer'

/** A step of the stop sequence: what to undo, named in the log if it fails or hangs. */
export interface ShutdownStep {
  readonly name: string
  run (): Promise<void>
}

/** Some steps did not finish within their bound: they are named. */
export class ShutdownIncompleteError extends Error {
  static override name = 'ShutdownIncompleteError'
  override name = 'ShutdownIncompleteError'

  constructor (readonly steps: readonly string[], readonly boundMs: number) {
    super(`shutdown did not finish: ${steps.join(', ')} still running after ${boundMs} ms each`)
  }
}

export class ShutdownSequence {
  readonly #steps: ShutdownStep[] = []
  readonly #log: Logger
  readonly #stepBoundMs: number

  /** `stepBoundMs`: how long one step may take before the sequence leaves it behind. */
  constructor (log: Logger, stepBoundMs: number) {
    this.#log = log
    this.#stepBoundMs = stepBoundMs
  }

  add (name: string, run: () => Promise<void>): void {
    this.#steps.push({ name, run })
  }

  /**
   * Undo every step added so far, most recent first; a failing step is logged and the rest
   * still run. Rejects with ShutdownIncompleteError if any step outran its bound.
   */
  async run (): Promise<void> {
    const hung: string[] = []
    for (const step of this.#steps.splice(0).reverse()) {
      const outcome = await this.#bounded(step)
      if (outcome === 'hung') {
        hung.push(step.name)
        this.#log.error('shutdown step did not finish in time; going on without it', { step: step.name, boundMs: this.#stepBoundMs })
      }
    }
    if (hung.length > 0) throw new ShutdownIncompleteError(hung, this.#stepBoundMs)
  }

  async #bounded (step: ShutdownStep): Promise<'done' | 'hung'> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const hung = new Promise<'hung'>((resolve) => { timer = setTimeout(() => { resolve('hung') }, this.#stepBoundMs) })
    const done = step.run().then(() => 'done' as const, (error: unknown) => {
      this.#log.warn('shutdown step failed', { step: step.name, error })
      return 'done' as const
    })
    try {
      return await Promise.race([done, hung])
    } finally {
      clearTimeout(timer)
    }
  }
}
