-- The demo restaurant backoffice. Applied by the demo into schema backoffice_demo (recreated
-- on every run), so it never touches other tables of the database it is pointed at.
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
