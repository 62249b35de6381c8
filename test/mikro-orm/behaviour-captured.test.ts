import { defineBehaviourSuite } from '../behaviour/behaviour-suite.js'
import { capturedDriver } from '../sequelize/captured-driver.js'
import { mikroOrmDriver } from './mikro-orm-driver.js'

// The shared scenarios with every business table under database capture: the triggers write
// the entries, the subscriber only hands them the context.
defineBehaviourSuite(capturedDriver(mikroOrmDriver))
