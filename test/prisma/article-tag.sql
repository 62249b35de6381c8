-- Prisma's default names for models Article and Tag of schema.prisma (no @@map): "Article",
-- "Tag" and the implicit many-to-many table "_ArticleToTag", as `prisma migrate` created them
-- before Prisma 6: the link table has no primary key (unique index on A, B instead), so capture
-- keys its rows by every column. Foreign keys ON DELETE CASCADE. Idempotent: the driver runs it
-- each time it opens.
CREATE TABLE IF NOT EXISTS "Article" (
  "id" SERIAL NOT NULL,
  "title" TEXT NOT NULL,
  CONSTRAINT "Article_pkey" PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "Tag" (
  "id" SERIAL NOT NULL,
  "name" TEXT NOT NULL,
  CONSTRAINT "Tag_pkey" PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "_ArticleToTag" (
  "A" INTEGER NOT NULL,
  "B" INTEGER NOT NULL,
  CONSTRAINT "_ArticleToTag_A_fkey" FOREIGN KEY ("A") REFERENCES "Article"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "_ArticleToTag_B_fkey" FOREIGN KEY ("B") REFERENCES "Tag"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX IF NOT EXISTS "_ArticleToTag_AB_unique" ON "_ArticleToTag"("A", "B");
CREATE INDEX IF NOT EXISTS "_ArticleToTag_B_index" ON "_ArticleToTag"("B");
