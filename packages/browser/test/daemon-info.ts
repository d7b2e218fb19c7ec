/** What the global setup tells the specs about each daemon it started. */
export interface DaemonInfo {
  readonly peerId: string
  /** The WebSockets address with /p2p/<id>: what a browser bootstraps with. */
  readonly ws: string
  readonly addrs: string[]
  /** Base URL of the daemon's HTTP API as the page reaches it: a token proxy (token-proxy.ts) that adds the bearer token and CORS headers. */
  readonly http: string
  /** The cluster's id (its authority's public key), from the ready line. */
  readonly clusterId: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    daemons: DaemonInfo[]
    /** Path of the daemons' cluster secret (for the `admit` command). */
    clusterSecret: string
  }
}

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** `ringstore admit` (admit.command.ts): the certificate (base64url) admitting `peerId` with weight at most `weight`. */
    admit: (secretFile: string, peerId: string, weight: number) => Promise<string>
  }
}
