import { defineBehaviourSuite } from '../behaviour/behaviour-suite.js'
import { capturedDriver } from './captured-driver.js'
import { sequelizeDriver } from './sequelize-driver.js'

// The shared scenarios with every business table under database capture: the triggers write
// the entries, the plugin only hands them the context.
defineBehaviourSuite(capturedDriver(sequelizeDriver))
