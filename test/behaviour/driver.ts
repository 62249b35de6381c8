import type { AuditPluginOptions } from '@audit-trail/core/plugin'

/** A client row as the suite writes it (ORM field names; the ORM maps them to columns). */
export interface ClientInput {
  name: string
  email?: string | null
  passwordHash?: string | null
}

export interface ItemInput {
  clientId?: number | null
  name: string
  /** numeric(10,2), as decimal text. */
  price: string
  available: boolean
  /** bigint, as decimal text. */
  sku?: string | null
  photo?: Buffer | null
  attributes?: unknown
  releasedAt?: Date | null
}

/**
 * One ORM, opened on a database that already has sql/ and business-schema.sql applied, with
 * the audit plugin attached. Every method uses the ORM's normal API, the way an app would.
 * Inside `transaction(fn)`, the session passed to `fn` writes in that transaction.
 */
export interface OrmSession {
  createClient(data: ClientInput): Promise<number>
  updateClient(id: number, data: Partial<ClientInput>): Promise<void>
  deleteClient(id: number): Promise<void>
  createItem(data: ItemInput): Promise<number>
  updateItem(id: number, data: Partial<ItemInput>): Promise<void>
  deleteItem(id: number): Promise<void>
  /** One bulk insert (createMany / bulkCreate / one flush). */
  createItems(data: ItemInput[]): Promise<void>
  /** One bulk update of every item of `clientId` (updateMany / Model.update / nativeUpdate ...). Returns the row count. */
  setPriceOfClientItems(clientId: number, price: string): Promise<number>
  /** One bulk delete of every item of `clientId`. Returns the row count. */
  deleteClientItems(clientId: number): Promise<number>
  upsertSetting(key: string, value: unknown): Promise<void>
  createTranslation(itemId: number, locale: string, title: string): Promise<void>
  updateTranslation(itemId: number, locale: string, title: string): Promise<void>
  /** Creates a client and its items in one ORM call (nested create / include / cascade persist). */
  createClientWithItems(client: ClientInput, items: ItemInput[]): Promise<number>
  /** Runs `fn` in the ORM's own transaction (interactive / managed / em.transactional); a throw rolls back. */
  transaction<T>(fn: (tx: OrmSession) => Promise<T>): Promise<T>
  /**
   * Runs hand-written SQL (`$1`, `$2` ... placeholders, values bound, never inlined) through the
   * ORM's own raw API (Prisma `$executeRawUnsafe`, `sequelize.query` with `bind`, MikroORM
   * `em.execute`), inside this session's transaction when it is a transaction's session.
   */
  rawExecute(sql: string, params?: unknown[]): Promise<void>
  /** Creates an Article (title) through the ORM. */
  createArticle(title: string): Promise<number>
  /** Creates a Tag (name) through the ORM. */
  createTag(name: string): Promise<number>
  /** Adds the tag to the article's many-to-many collection through the ORM (one link row). */
  tagArticle(articleId: number, tagId: number): Promise<void>
  /** Removes the tag from the article's many-to-many collection through the ORM (one link row). */
  untagArticle(articleId: number, tagId: number): Promise<void>
  /** Deletes the article through the ORM; its link rows go by the link table's ON DELETE CASCADE (or the ORM). */
  deleteArticle(id: number): Promise<void>
}

export interface OpenedOrm {
  session: OrmSession
  close(): Promise<void>
}

export interface BehaviourDriver {
  /** Shown in test names: 'prisma', 'sequelize', 'mikro-orm'. */
  name: string
  /**
   * Opens the ORM on `url`, a database with sql/ and business-schema.sql applied. First (every
   * time: it is idempotent) it creates the Article / Tag tables and their link table the way
   * this ORM names them by default (no table or column mapping) if they do not exist, and runs
   * the plugin's capture setup (`enable...Capture(orm, options)`) as the owner would. Then it
   * opens the ORM with the plugin attached using `options` (or, with `audited: false`, the
   * same ORM with no plugin at all). Model names in `options` are Client, Item, Setting, Coupon,
   * ItemTranslation, Article, Tag. `poolSize` bounds its connection pool.
   */
  open(args: { url: string; options: AuditPluginOptions; poolSize?: number; audited?: boolean }): Promise<OpenedOrm>
  /** Exact (unquoted) names of the Article, Tag and link tables this ORM creates by default. */
  readonly articleTables: { readonly article: string; readonly tag: string; readonly link: string }
  /** `resource_id` of the link row between `articleId` and `tagId` (a JSON array text in the link table's key order). */
  linkResourceId(articleId: number, tagId: number): string
}
