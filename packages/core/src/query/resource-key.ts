import { InvalidArgumentError } from '../errors.js'
import { checkString, describe } from '../validate/validators.js'

/** A resource's primary key as `history()` and `stateAt()` accept it. */
export type ResourceKey = string | number | bigint | readonly (string | number | bigint)[]

/** `resourceType` and `resourceId` as stored (`resource_id` text; composite keys as JSON array text). */
export function resourceKey(resourceType: unknown, resourceId: unknown): { type: string; id: string } {
  const type = checkString(resourceType, 'resourceType')
  if (type === '') throw new InvalidArgumentError('audit-trail: resourceType must not be empty.')
  let id: string | null = null
  if (typeof resourceId === 'string') id = checkString(resourceId, 'resourceId')
  else if (typeof resourceId === 'number' && Number.isFinite(resourceId)) id = String(resourceId)
  else if (typeof resourceId === 'bigint') id = resourceId.toString()
  else if (Array.isArray(resourceId) && resourceId.length > 0 && resourceId.every(isKeyPart)) {
    // Composite keys as the capture trigger writes them: a JSON array of the key values as text.
    id = resourceId.length === 1 ? String(resourceId[0]) : JSON.stringify(resourceId.map(String))
  }
  if (id === null) {
    throw new InvalidArgumentError(
      `audit-trail: resourceId must be a string, number, bigint or an array of them (composite key), got ${describe(resourceId)}.`,
    )
  }
  return { type, id }
}

function isKeyPart(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'bigint' || (typeof value === 'number' && Number.isFinite(value))
}
