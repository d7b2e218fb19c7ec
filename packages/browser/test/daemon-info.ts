/** What the global setup tells the specs about each daemon it started. */
export interface DaemonInfo {
  readonly peerId: string
  /** The WebSockets address with /p2p/<id>: what a browser bootstraps with. */
  readonly ws: string
  readonly addrs: string[]
  /** Base URL of the HTTP API (it sends CORS headers, so the page can fetch it). */
  readonly http: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    daemons: DaemonInfo[]
  }
}
