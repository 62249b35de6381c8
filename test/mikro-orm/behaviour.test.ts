import { defineBehaviourSuite } from '../behaviour/behaviour-suite.js'
import { mikroOrm7Driver } from './mikro-orm-7.js'

defineBehaviourSuite(mikroOrm7Driver)
