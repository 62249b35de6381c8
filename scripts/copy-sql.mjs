// Ships the repository's sql/ migrations inside @audit-trail/core (packages/core/sql/), so the
// published package applies exactly the files a DBA reviews. The copy is a build artifact.
import { cpSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'packages', 'core', 'sql')
rmSync(target, { recursive: true, force: true })
cpSync(join(root, 'sql'), target, { recursive: true, filter: (src) => !src.endsWith('README.md') })
