// R2's child process: writes through one ORM (argv: driver name, database URL) in committed
// transactions, then opens one more, writes in it, prints MID and waits to be killed.
import { setTimeout as sleep } from 'node:timers/promises'
import { runWithAuditContext } from '@audit-trail/core'
import { ALL_WRITE_PATHS } from '../reliability/reliability-fixtures.js'
import { BUSINESS_OPTIONS } from '../support/business-schema.js'

const [name, url, committedCount] = process.argv.slice(2) as [string, string, string]
const driver = ALL_WRITE_PATHS.find((d) => d.name === name)
if (!driver) throw new Error(`unknown driver ${name}`)
const orm = await driver.open({ url, options: BUSINESS_OPTIONS, poolSize: 2 })
const s = orm.session
const item = (clientId: number | null, itemName: string, price: string) => ({ clientId, name: itemName, price, available: true })

await runWithAuditContext({ actor: { id: 'crash-writer' } }, async () => {
  for (let t = 0; t < Number(committedCount); t++) {
    await s.transaction(async (tx) => {
      const client = await tx.createClient({ name: `done c${t}` })
      await tx.createItems([item(client, `done i${t}a`, '1.00'), item(client, `done i${t}b`, '2.00')])
      const id = await tx.createItem(item(client, `done i${t}c`, '3.00'))
      await tx.updateItem(id, { price: '4.00' })
      await tx.setPriceOfClientItems(client, '5.00')
    })
  }
  await s.transaction(async (tx) => {
    const client = await tx.createClient({ name: 'killed c' })
    await tx.createClientWithItems({ name: 'killed nested' }, [item(null, 'killed n1', '1.00')])
    await tx.createItems([item(client, 'killed i1', '1.00'), item(client, 'killed i2', '2.00')])
    await tx.setPriceOfClientItems(client, '9.00')
    process.stdout.write('MID\n')
    await sleep(60_000)
  })
})
