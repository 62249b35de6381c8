import { defineBehaviourSuite } from '../behaviour/behaviour-suite.js'
import { sequelizeDriver } from './sequelize-driver.js'

defineBehaviourSuite(sequelizeDriver)
