-- The demo restaurant backoffice. The demo applies it to a fresh database on every run
-- (embedded PGlite, or database audit_trail_demo on the server of DATABASE_URL).
CREATE TABLE menu_items (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  category    text NOT NULL,
  price       numeric(8, 2) NOT NULL,
  available   boolean NOT NULL DEFAULT true,
  updated_at  timestamptz
);

CREATE TABLE coupons (
  id       serial PRIMARY KEY,
  code     text NOT NULL UNIQUE,
  percent  integer NOT NULL
);

CREATE TABLE settings (
  key    text PRIMARY KEY,
  value  jsonb NOT NULL
);
