/** The daemon package's `ringstore` bin, which the setup and the `admit` command run (Node side only). */
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../daemon/bin/ringstore.js', import.meta.url))
