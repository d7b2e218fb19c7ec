/**
 * Query parameters of the key-value routes: only n, r (reads) and n, w (writes), each at
 * most once, each a positive integer. Anything else is refused with 400 `bad_query`
 * rather than ignored, so a typo (`?W=3`) never silently runs with the defaults. Range
 * checks (r ≤ n, n ≤ 64) are the engine's (InvalidOptionsError → 400 too).
 */
import { MAX_QUORUM_DIGITS, QUERY_ECHO_CHARS } from '../constants.js'
import { HttpError } from './respond.js'

export type QuorumParam = 'n' | 'r' | 'w'

export function quorumParams (query: URLSearchParams, allowed: readonly QuorumParam[]): Partial<Record<QuorumParam, number>> {
  const out: Partial<Record<QuorumParam, number>> = {}
  for (const [name, text] of query) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new HttpError(400, 'bad_query', `unknown query parameter '${name.slice(0, QUERY_ECHO_CHARS)}'; allowed here: ${allowed.join(', ')}`)
    }
    const param = name as QuorumParam
    if (out[param] !== undefined) throw new HttpError(400, 'bad_query', `query parameter '${param}' given twice`)
    if (!new RegExp(`^[0-9]{1,${MAX_QUORUM_DIGITS}}$`).test(text) || Number(text) < 1) {
      throw new HttpError(400, 'bad_query', `${param} must be a positive integer, got '${text.slice(0, QUERY_ECHO_CHARS)}'`)
    }
    out[param] = Number(text)
  }
  return out
}

/**
 * The query of every target without one (most requests): shared instead of one per request.
 * Nothing here mutates a query; it is only read (quorumParams, onlyGet).
 */
const NO_QUERY: URLSearchParams = new URLSearchParams()

/** Splits a request target into its raw path and its query. Only origin-form (`/path?q`) is served. */
export function splitTarget (target: string): { path: string, query: URLSearchParams } {
  if (target.charCodeAt(0) !== 0x2f) throw new HttpError(400, 'bad_request', 'request target must be a path starting with /')
  const mark = target.indexOf('?')
  return mark < 0
    ? { path: target, query: NO_QUERY }
    : { path: target.slice(0, mark), query: new URLSearchParams(target.slice(mark + 1)) }
}
