import type { BehaviourDriver } from '../behaviour/driver.js'
import { mikroOrm7Driver } from '../mikro-orm/mikro-orm-7.js'
import { prismaDriver } from '../prisma/prisma-driver.js'
import { sequelizeDriver } from '../sequelize/sequelize-driver.js'

/**
 * Every ORM plugin, as a driver of the shared behaviour suite: each carries its context to the
 * capture triggers (the one recording engine), so these are every write path of the project.
 */
export const ORM_DRIVERS: readonly BehaviourDriver[] = [prismaDriver, sequelizeDriver, mikroOrm7Driver]
