import { defineConfig } from 'tsup'

export default defineConfig({
  // index: the app API; plugin: what ORM adapters need (package.json "exports" "./plugin");
  // cli: the `audit-trail` binary (package.json "bin"); its shebang is kept and the file made executable.
  entry: { index: 'src/index.ts', plugin: 'src/plugin.ts', cli: 'src/cli/cli.ts' },
  format: ['esm', 'cjs'],
  // One build for all entries, with shared chunks in both formats (tsup splits only ESM by
  // default): the entries then hold the same error classes, so `instanceof AuditTrailError`
  // holds whichever entry the class or the throwing function came from.
  splitting: true,
  // Declarations for the library entries only: the binary is not imported.
  dts: { entry: { index: 'src/index.ts', plugin: 'src/plugin.ts' } },
  // No source maps: they would point to src/, which the package does not ship; dist/ is readable as is.
  sourcemap: false,
  clean: true,
  // Provides import.meta.url in CJS and __dirname in ESM, used to find the shipped sql/ folder.
  shims: true,
  target: 'node20',
  // Keeps class names as written: esbuild renames a class that refers to itself (the static error
  // factories) to `_Name`, and errors take their `name` from the class.
  keepNames: true,
})
