import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { Utils } from '@mikro-orm/core'
import { MikroORM } from '@mikro-orm/postgresql'
import { defineBehaviourSuite } from '../behaviour/behaviour-suite.js'
import { mikroOrmDriver } from '../mikro-orm/mikro-orm-driver.js'
import { mikroOrm6 } from './mikro-orm-6.js'

describe('MikroORM 6 workspace', () => {
  it('resolves @mikro-orm/core 6.6.7, not the root 7.x', () => {
    const version = (createRequire(import.meta.url)('@mikro-orm/core/package.json') as { version: string }).version
    expect(version).toBe('6.6.7')
    expect(Utils.getORMVersion()).toBe('6.6.7')
    expect(mikroOrm6.MikroORM).toBe(MikroORM)
  })
})

defineBehaviourSuite(mikroOrmDriver(mikroOrm6))
