import { defineBehaviourSuite } from '../behaviour/behaviour-suite.js'
import { prismaDriver } from './prisma-driver.js'

defineBehaviourSuite(prismaDriver)
