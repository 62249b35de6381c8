import { Cascade, defineEntity, p } from '@mikro-orm/core'
import { MikroORM } from '@mikro-orm/postgresql'
import type { MikroOrmModules } from '../mikro-orm/mikro-orm-driver.js'

// MikroORM 6's init compares the @mikro-orm/* packages listed in the package.json of the working
// directory (the root's, MikroORM 7) with its core's version. This workspace resolves its own
// 6.6.7 set (checked in behaviour.test.ts); the documented switch turns the cwd-based check off.
process.env.MIKRO_ORM_ALLOW_VERSION_MISMATCH = '1'

/**
 * MikroORM 6.6 (this workspace's own @mikro-orm/core and @mikro-orm/postgresql), typed as the
 * MikroORM 7 modules the shared driver is written against: the API it uses is the same.
 */
export const mikroOrm6 = { name: 'mikro-orm 6', MikroORM, builders: { Cascade, defineEntity, p } } as unknown as MikroOrmModules
