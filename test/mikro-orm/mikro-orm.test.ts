import { defineMikroOrmTests } from './mikro-orm-tests.js'
import { mikroOrm7 } from './mikro-orm-7.js'

defineMikroOrmTests(mikroOrm7)
