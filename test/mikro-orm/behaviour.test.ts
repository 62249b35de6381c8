import { defineBehaviourSuite } from '../behaviour/behaviour-suite.js'
import { mikroOrmDriver } from './mikro-orm-driver.js'

defineBehaviourSuite(mikroOrmDriver)
