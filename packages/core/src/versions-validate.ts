/**
 * Structural validation of clocks and contexts that arrive from outside (the codec calls
 * `validateClock` after decoding; `update` checks the context a client handed back).
 * Everything else in versions.ts assumes valid input, so this is the one gate.
 */
import type { DvvSet, Sibling, VersionVector } from './types.js'
import { compareActors, compareSiblings } from './versions-siblings.js'

/**
 * An actor's counter in a clock has reached the largest safe integer: it cannot mint
 * another dot for that key. Only a forged context or clock gets a counter there (2^53 real
 * writes are out of reach); the minting peer answers with a new actor epoch (peer's
 * replica-store.ts), never with a key that can no longer be written.
 */
export class CounterExhaustedError extends Error {
  static override name = 'CounterExhaustedError'
  override name = 'CounterExhaustedError'
  constructor (readonly actor: string) {
    super(`counter of '${actor}' exhausted`)
  }
}

/** A clock or context breaks the DVVSet invariants (unsorted actors, bad counters, …). */
export class InvalidClockError extends Error {
  static override name = 'InvalidClockError'
  override name = 'InvalidClockError'
}

function fail(message: string): never {
  throw new InvalidClockError(message)
}

function isPositiveCounter(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1
}

function checkActorOrder(actor: unknown, previous: string | undefined, where: string): string {
  if (typeof actor !== 'string' || actor.length === 0) fail(`${where}: actor must be a non-empty string`)
  if (previous !== undefined && compareActors(previous, actor) >= 0) {
    fail(`${where}: actors must be sorted and unique ('${previous}' then '${actor}')`)
  }
  return actor
}

function checkSibling(s: unknown, where: string): asserts s is Sibling {
  if (typeof s !== 'object' || s === null) fail(`${where}: sibling must be an object`)
  const { value, ts } = s as { value?: unknown, ts?: unknown }
  if (value !== null && !(value instanceof Uint8Array)) fail(`${where}: value must be bytes or null`)
  if (typeof ts !== 'number' || !Number.isFinite(ts)) fail(`${where}: ts must be a finite number`)
}

function checkEntry(e: unknown, previous: string | undefined, index: number): string {
  const where = `entry ${index}`
  if (typeof e !== 'object' || e === null) fail(`${where}: must be an object`)
  const { actor, counter, values, ts } = e as { actor?: unknown, counter?: unknown, values?: unknown, ts?: unknown }
  const name = checkActorOrder(actor, previous, where)
  if (!isPositiveCounter(counter)) fail(`${where}: counter must be a positive safe integer`)
  if (!Array.isArray(values)) fail(`${where}: values must be an array`)
  // values[i] has dot counter - i, so there cannot be more values than dots.
  if (values.length > counter) fail(`${where}: ${values.length} values but counter ${counter}`)
  values.forEach((v, i) => checkSibling(v, `${where} value ${i}`))
  if (typeof ts !== 'number' || !Number.isFinite(ts)) fail(`${where}: ts must be a finite number`)
  return name
}

/**
 * Throws `InvalidClockError` unless `clock` is a well-formed DvvSet: entries sorted by
 * actor with unique non-empty actors, counters positive safe integers, at most `counter`
 * values per entry, siblings `{ value: Uint8Array | null, ts: finite }`, and the anonymous
 * list in canonical order (sorted by ts then bytes, no duplicates).
 * Accepts `unknown` so that freshly decoded data can be checked without a cast.
 */
export function validateClock(clock: unknown): asserts clock is DvvSet {
  if (typeof clock !== 'object' || clock === null) fail('clock must be an object')
  const { entries, anonymous } = clock as { entries?: unknown, anonymous?: unknown }
  if (!Array.isArray(entries)) fail('clock.entries must be an array')
  if (!Array.isArray(anonymous)) fail('clock.anonymous must be an array')
  let previous: string | undefined
  entries.forEach((e, i) => { previous = checkEntry(e, previous, i) })
  anonymous.forEach((s, i) => {
    checkSibling(s, `anonymous ${i}`)
    if (i > 0 && compareSiblings(anonymous[i - 1] as Sibling, s) >= 0) {
      fail(`anonymous ${i}: anonymous values must be sorted canonically and unique`)
    }
  })
}

/**
 * Throws `InvalidClockError` unless `vv` is a well-formed version vector: an array of
 * `[actor, counter]` pairs, sorted by actor, unique non-empty actors, positive counters.
 */
export function validateContext(vv: unknown): asserts vv is VersionVector {
  if (!Array.isArray(vv)) fail('context must be an array')
  let previous: string | undefined
  vv.forEach((pair: unknown, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) fail(`context ${i}: must be an [actor, counter] pair`)
    previous = checkActorOrder(pair[0], previous, `context ${i}`)
    if (!isPositiveCounter(pair[1])) fail(`context ${i}: counter must be a positive safe integer`)
  })
}
