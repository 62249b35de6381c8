CREATE TABLE "Article" (
  id serial PRIMARY KEY,
  title text NOT NULL,
  "updatedAt" timestamp(3)
);
