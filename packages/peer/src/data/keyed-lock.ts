/**
 * Per-key mutual exclusion for read-modify-write on storage: one promise chain per key,
 * dropped when the key goes idle, so memory stays proportional to the keys in flight.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>()

  /**
   * Run `fn` once every earlier holder of any of `keys` has finished. All keys are claimed
   * at once, synchronously, so two multi-key holders can never wait on each other.
   */
  async run<T> (keys: string | readonly string[], fn: () => Promise<T>): Promise<T> {
    const list = typeof keys === 'string' ? [keys] : [...new Set(keys)]
    let release!: () => void
    const done = new Promise<void>((resolve) => { release = resolve })
    const previous = list.map((key) => this.#tails.get(key))
    for (const key of list) this.#tails.set(key, done)
    try {
      await Promise.all(previous)
      return await fn()
    } finally {
      release()
      for (const key of list) if (this.#tails.get(key) === done) this.#tails.delete(key)
    }
  }

  /** Keys with a holder or waiter (for tests: the map must not grow without bound). */
  get busyKeys (): number {
    return this.#tails.size
  }
}
