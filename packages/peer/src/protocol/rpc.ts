/**
 * Asking another peer, with the outcome told to the failure detector: every request the
 * engine sends goes through a PeerRpc, so "send, then report" is written once. A reply of
 * any kind (even an error reply) proves the peer alive; a timeout or an unreachable peer
 * marks it unreachable (a local verdict that only steers routing, cluster/failure-detector.ts).
 */
import type { PeerId, Request, Response } from '@ringstore/core'
import type { FailureDetector } from '../components.js'
import { RemoteError, isUnreachable } from '../errors.js'
import type { Network } from '../interfaces.js'

/** The response variant whose `type` is `T`. */
export type ResponseOf<T extends Response['type']> = Extract<Response, { readonly type: T }>

export interface PeerRpcDeps {
  readonly network: Pick<Network, 'request'>
  /** Told the outcome of every request. */
  readonly detector: Pick<FailureDetector, 'reportSuccess' | 'reportFailure'>
  /** The default timeout of a request (PeerConfig.requestTimeoutMs). */
  readonly timeoutMs: number
}

export class PeerRpc {
  readonly #deps: PeerRpcDeps

  constructor (deps: PeerRpcDeps) {
    this.#deps = deps
  }

  /** The default request timeout. */
  get timeoutMs (): number {
    return this.#deps.timeoutMs
  }

  /**
   * Send `request` to `peer` and return its reply, whatever it is. A timeout or an
   * unreachable peer is reported to the failure detector and rethrown.
   */
  send (peer: PeerId, request: Request, timeoutMs = this.#deps.timeoutMs): Promise<Response> {
    // Plain promise chains rather than async functions: this is on every request's path,
    // and each async layer costs a promise and a turn of the microtask queue.
    return this.#deps.network.request(peer, request, timeoutMs).then((response) => {
      this.#deps.detector.reportSuccess(peer)
      return response
    }, (error: unknown) => {
      this.report(peer, error)
      throw error
    })
  }

  /**
   * `send` without the report, for a caller that may give up on the reply before it comes
   * (a forwarded put moves on to the next primary): it reports with `report` only the
   * outcome it used, so a late reply or timeout of an abandoned request changes nothing.
   */
  sendUnreported (peer: PeerId, request: Request, timeoutMs = this.#deps.timeoutMs): Promise<Response> {
    return this.#deps.network.request(peer, request, timeoutMs)
  }

  /** Tell the failure detector how a request to `peer` went: answered (no error), or failed with `error`. */
  report (peer: PeerId, error?: unknown): void {
    if (error === undefined) this.#deps.detector.reportSuccess(peer)
    else if (isUnreachable(error)) this.#deps.detector.reportFailure(peer)
  }

  /**
   * `send`, expecting a reply of type `expected`: an error reply or a reply of another type
   * throws RemoteError (code 'bad-response' for the latter).
   */
  expect<T extends Response['type']> (peer: PeerId, request: Request, expected: T, timeoutMs?: number): Promise<ResponseOf<T>> {
    return this.send(peer, request, timeoutMs).then((response) => {
      if (response.type === 'error') throw new RemoteError(peer, response.code, response.message)
      if (response.type !== expected) {
        throw new RemoteError(peer, 'bad-response', `expected '${expected}' to '${request.type}', got '${response.type}'`)
      }
      return response as ResponseOf<T>
    })
  }
}
