/**
 * Command-line sizes and durations with units, for limits whose natural figures are
 * mebibytes and days (--hint-quota 256MiB, --hint-max-age 7d) rather than the bytes and
 * milliseconds the engine counts in. A plain number is bytes or milliseconds, as in the
 * other flags (--max-body, --request-timeout-ms). A bad value is a UsageError.
 */
import { UsageError } from '@ringstore/core'

const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 }
const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `BYTES`, or a number with B, KiB, MiB, GiB or TiB (`1.5GiB`): whole bytes in min..max. */
export function bytesOption (name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  return withUnit(name, text, fallback, min, max, BYTE_UNITS, 'a size like 268435456, 256MiB or 1GiB')
}

/** `MS`, or a number with ms, s, m, h or d (`7d`): whole milliseconds in min..max. */
export function durationOption (name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  return withUnit(name, text, fallback, min, max, TIME_UNITS, 'a duration like 3600000, 90s, 12h or 7d')
}

function withUnit (name: string, text: string | undefined, fallback: number, min: number, max: number, units: Readonly<Record<string, number>>, shape: string): number {
  if (text === undefined) return fallback
  const match = /^(\d{1,16}(?:\.\d{1,6})?)([A-Za-z]*)$/.exec(text)
  const factor = match === null ? undefined : units[match[2] as string]
  const value = match === null || factor === undefined ? NaN : Math.round(Number(match[1]) * factor)
  if (!(value >= min && value <= max)) throw new UsageError(`--${name} must be ${shape}, in ${min}..${max}, got '${text}'`)
  return value
}
