import { defineConfig } from 'vitest/config'

// One config for the demo build (issue 4) and for Vitest, which reads the `test` block.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // The simulator suites run hundreds of seeded clusters; give them room on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
})
