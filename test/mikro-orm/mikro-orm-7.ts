import { Cascade, defineEntity, p } from '@mikro-orm/core'
import { MikroORM } from '@mikro-orm/postgresql'
import type { BehaviourDriver } from '../behaviour/driver.js'
import { mikroOrmDriver, type MikroOrmModules } from './mikro-orm-driver.js'
import { defineEntities } from './entities.js'

/** MikroORM 7 (the root workspace's @mikro-orm/core and @mikro-orm/postgresql). */
export const mikroOrm7: MikroOrmModules = { name: 'mikro-orm 7', MikroORM, builders: { Cascade, defineEntity, p } }

/** The test entities defined with MikroORM 7. */
export const entities7 = defineEntities(mikroOrm7.builders)

/** The behaviour driver on MikroORM 7. */
export const mikroOrm7Driver: BehaviourDriver = mikroOrmDriver(mikroOrm7)
