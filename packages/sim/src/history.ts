/**
 * The record of every client operation of a run: what was asked, of whom, when, and what
 * came back. The checker proves the invariants from this record and the final replicas.
 *
 * Every value a put writes is unique to its operation (`valueFor(id)`), so any sibling
 * found on any replica names the write that produced it, even when that write's reply was
 * lost. Deletes carry no value; their dots are known only from their replies.
 */
import type { Key, PeerId, VersionVector } from '@ringstore/core'

export type OpKind = 'get' | 'put' | 'delete'

/** `pending`: never answered (its coordinator crashed mid-operation). */
export type OpOutcome = 'pending' | 'ok' | 'error'

export type Dot = readonly [actor: string, counter: number]

export interface OpRecord {
  readonly id: number
  readonly kind: OpKind
  readonly key: Key
  readonly client: number
  readonly coordinator: PeerId
  readonly invokedAt: number
  /** put/delete: the context handed to the write; undefined = a blind write. */
  readonly context?: VersionVector
  /** put: the (unique) value written. */
  readonly value?: Uint8Array
  readonly n?: number
  readonly r?: number
  readonly w?: number
  completedAt?: number
  outcome: OpOutcome
  /** put/delete: the dot minted (from the reply, or from QuorumNotMetError.dot). */
  dot?: Dot
  /** put/delete: the context returned; get: the context read. */
  resultContext?: VersionVector
  /** put/delete: replicas that acknowledged (also on QuorumNotMetError). */
  acks?: number
  required?: number
  /** The error's `name` when outcome is `error`. */
  error?: string
  errorMessage?: string
  /** The coordinator had announced its leave by the time the op failed. */
  coordinatorLeft?: boolean
  /** get: the op ids of the live values read (undefined entry = a value no op wrote). */
  readValues?: Array<number | undefined>
  /** get: the live values read that no op wrote (a client's own writes, or worse), as bytes. */
  readUnknown?: Uint8Array[]
}

const VALUE_PREFIX = 'w'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The unique value of put `id`. */
export function valueFor (id: number): Uint8Array {
  return encoder.encode(`${VALUE_PREFIX}${id}`)
}

/** The op id that wrote `value`, or undefined for bytes no op of the simulator wrote. */
export function writerOf (value: Uint8Array): number | undefined {
  const text = decoder.decode(value)
  if (!text.startsWith(VALUE_PREFIX)) return undefined
  const id = Number(text.slice(VALUE_PREFIX.length))
  return Number.isSafeInteger(id) && `${VALUE_PREFIX}${id}` === text ? id : undefined
}

export type Invocation = Omit<OpRecord, 'id' | 'outcome'>

export class History {
  readonly ops: OpRecord[] = []

  /** Record an invocation; the returned record is completed in place. */
  invoke (invocation: Invocation): OpRecord {
    const record: OpRecord = { ...invocation, id: this.ops.length, outcome: 'pending' }
    this.ops.push(record)
    return record
  }

  /** The id the next invocation will get (so a put can embed it in its value). */
  nextId (): number {
    return this.ops.length
  }

  succeed (record: OpRecord, at: number, result: { dot?: Dot, context?: VersionVector, acks?: number, readValues?: Array<number | undefined>, readUnknown?: Uint8Array[] }): void {
    record.completedAt = at
    record.outcome = 'ok'
    if (result.dot !== undefined) record.dot = result.dot
    if (result.context !== undefined) record.resultContext = result.context
    if (result.acks !== undefined) record.acks = result.acks
    if (result.readValues !== undefined) record.readValues = result.readValues
    if (result.readUnknown !== undefined) record.readUnknown = result.readUnknown
  }

  fail (record: OpRecord, at: number, error: unknown): void {
    record.completedAt = at
    record.outcome = 'error'
    const e = error as { name?: unknown, message?: unknown, acks?: unknown, required?: unknown, dot?: unknown }
    record.error = typeof e?.name === 'string' ? e.name : 'UnknownError'
    record.errorMessage = typeof e?.message === 'string' ? e.message : String(error)
    if (typeof e?.acks === 'number') record.acks = e.acks
    if (typeof e?.required === 'number') record.required = e.required
    if (isDot(e?.dot)) record.dot = e.dot
  }

  /** Writes (put/delete), in invocation order. */
  writes (): OpRecord[] {
    return this.ops.filter((op) => op.kind !== 'get')
  }
}

export function isDot (x: unknown): x is Dot {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && Number.isSafeInteger(x[1])
}

export function dotKey (dot: Dot): string {
  return `${dot[0]}#${dot[1]}`
}

/** `ctx` has seen `dot`. */
export function covers (ctx: VersionVector | undefined, dot: Dot): boolean {
  if (ctx === undefined) return false
  for (const [actor, counter] of ctx) if (actor === dot[0]) return counter >= dot[1]
  return false
}
