import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // Provides import.meta.url in CJS and __dirname in ESM, used to find the shipped sql/ folder.
  shims: true,
  target: 'node20',
})
