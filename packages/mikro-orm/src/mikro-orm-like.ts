// Structural views of the MikroORM objects the plugin reads, satisfied by MikroORM 6.6 and 7.2
// alike, so one build serves both majors (no runtime import of @mikro-orm/core).

/** One property of an entity, as MikroORM 6.6 and 7 describe it (`EntityProperty`). */
export interface EntityPropertyLike {
  readonly name: string
  /** `scalar`, `m:1`, `1:1`, `1:m`, `m:n` or `embedded`. */
  readonly kind: string
  readonly fieldNames?: readonly string[]
  readonly persist?: boolean
  readonly formula?: unknown
  readonly owner?: boolean
  /** Embedded property stored as one JSON column. */
  readonly object?: boolean
  /** Table of a many-to-many relation's pivot entity. */
  readonly pivotTable?: string
  readonly type?: unknown
  readonly targetMeta?: { readonly className: string }
}

/** An entity's metadata, as MikroORM 6.6 and 7 describe it (`EntityMetadata`). */
export interface EntityMetadataLike {
  readonly className: string
  readonly tableName: string
  readonly schema?: string
  readonly pivotTable?: boolean
  readonly embeddable?: boolean
  readonly virtual?: boolean
  readonly abstract?: boolean
  readonly discriminatorColumn?: string
  readonly root?: { readonly className: string; readonly tableName: string }
  readonly props: readonly EntityPropertyLike[]
}

/** What the plugin runs SQL through: MikroORM's own connection, inside a transaction when given one. */
export interface MikroOrmConnectionLike {
  execute(sql: string, params?: unknown[], method?: 'all', ctx?: unknown): Promise<unknown>
}

/** The EntityManager members the plugin uses (MikroORM 6.6 and 7). */
export interface EntityManagerLike {
  getMetadata(): { getAll(): ReadonlyMap<unknown, EntityMetadataLike> | Readonly<Record<string, EntityMetadataLike>> }
  getConnection(): MikroOrmConnectionLike
  getTransactionContext(): unknown
  readonly config: { get(key: 'schema'): unknown }
}

/** The MikroORM instance members the plugin uses (MikroORM 6.6 and 7). */
export interface MikroOrmLike {
  readonly em: EntityManagerLike
}
