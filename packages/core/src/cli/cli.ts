#!/usr/bin/env node
import { runCli } from './run-cli.js'

// Not top-level await: the CommonJS build of this file must run too.
void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
  process.exitCode = code
})
