import { AuditTrailError } from '@audit-trail/core'

/** A write that bypasses MikroORM's unit of work was aimed at an audited table. */
export class NativeWriteNotAuditedError extends AuditTrailError {
  static forWrite(args: { readonly table: string; readonly via: string }): NativeWriteNotAuditedError {
    return new NativeWriteNotAuditedError(
      `audit-trail: ${args.via} writes to the audited table "${args.table}" bypass MikroORM's unit of work and cannot be audited; ` +
        'use em.create/em.assign/em.remove + em.flush(), or em.nativeUpdate/em.nativeDelete (both audited). ' +
        "Or enable database capture on the table (SELECT audit_trail.enable_capture('<table>')): its triggers then record these writes " +
        'and the subscriber hands them the context. Nothing was written.',
    )
  }
}
