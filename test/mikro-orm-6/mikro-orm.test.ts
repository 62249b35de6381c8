import { defineMikroOrmTests } from '../mikro-orm/mikro-orm-tests.js'
import { mikroOrm6 } from './mikro-orm-6.js'

defineMikroOrmTests(mikroOrm6)
