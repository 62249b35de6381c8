import { defineConfig } from 'tsup'

export default defineConfig({
  // cli: the `audit-trail` binary (package.json "bin"); its shebang is kept and the file made executable.
  entry: { index: 'src/index.ts', cli: 'src/cli/cli.ts' },
  format: ['esm', 'cjs'],
  // Declarations for the library entry only: the binary is not imported.
  dts: { entry: { index: 'src/index.ts' } },
  // No source maps: they would point to src/, which the package does not ship; dist/ is readable as is.
  sourcemap: false,
  clean: true,
  // Provides import.meta.url in CJS and __dirname in ESM, used to find the shipped sql/ folder.
  shims: true,
  target: 'node20',
})
