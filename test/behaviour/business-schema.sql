-- The small backoffice every plugin's behaviour suite runs against. Column names differ from
-- the ORM field names on purpose (email_address ↔ email, client_id ↔ clientId) so the suite
-- proves that entries are keyed by database column names.
CREATE TABLE clients (
  id             serial PRIMARY KEY,
  name           text NOT NULL,
  email_address  text,
  password_hash  text,
  updated_at     timestamptz
);

CREATE TABLE items (
  id           serial PRIMARY KEY,
  client_id    integer REFERENCES clients (id) ON DELETE CASCADE,
  name         text NOT NULL,
  price        numeric(10, 2) NOT NULL,
  available    boolean NOT NULL,
  sku          bigint,
  photo        bytea,
  attributes   jsonb,
  released_at  timestamptz,
  updated_at   timestamptz
);

CREATE TABLE settings (
  key    text PRIMARY KEY,
  value  jsonb
);

CREATE TABLE coupons (
  id          uuid PRIMARY KEY,
  code        text NOT NULL UNIQUE,
  percent     integer NOT NULL,
  deleted_at  timestamptz
);

CREATE TABLE item_translations (
  item_id  integer NOT NULL REFERENCES items (id) ON DELETE CASCADE,
  locale   text NOT NULL,
  title    text NOT NULL,
  PRIMARY KEY (item_id, locale)
);
