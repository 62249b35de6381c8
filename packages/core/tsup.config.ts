import { defineConfig } from 'tsup'

export default defineConfig({
  // cli: the `audit-trail` binary (package.json "bin"); its shebang is kept and the file made executable.
  entry: { index: 'src/index.ts', cli: 'src/cli/cli.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // Provides import.meta.url in CJS and __dirname in ESM, used to find the shipped sql/ folder.
  shims: true,
  target: 'node20',
})
