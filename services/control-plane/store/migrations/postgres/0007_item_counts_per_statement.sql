-- item_counts is now kept per statement instead of per row (issue 17). The row trigger of 0005 rewrote a
-- counter row once per queue_items row, so a statement (or transaction) changing many items of one cell
-- left one dead row version per item that nothing could prune before commit: the growth bench's fill
-- (5,000 items per INSERT) grew the table to 870 pages for 1,584 live counters, and every queue-position
-- read scanned them all (8 ms at 100k pending, 0.1 ms at 1k). Now each statement sums its changes per
-- cell from the transition tables and writes each cell once, whatever the number of rows.
DROP TRIGGER "queue_items_count" ON "queue_items";--> statement-breakpoint
DROP FUNCTION "queue_items_count"();--> statement-breakpoint
-- Adds delta to one cell; a cell that reaches 0 is deleted, so reads sum live cells only.
CREATE FUNCTION "item_counts_add"(q integer, s integer, p integer, b bigint, st integer, delta bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  left_over bigint;
BEGIN
  INSERT INTO "item_counts" AS c VALUES (q, s, p, b, st, delta)
    ON CONFLICT ("queue", "status", "priority", "block", "stripe") DO UPDATE SET "n" = c."n" + excluded."n"
  RETURNING c."n" INTO left_over;
  IF left_over = 0 THEN
    DELETE FROM "item_counts" WHERE "queue" = q AND "status" = s AND "priority" = p AND "block" = b AND "stripe" = st AND "n" = 0;
  END IF;
END
$$;--> statement-breakpoint
-- One trigger per operation, because a function may only name the transition tables its trigger has.
-- Each sums its statement's rows per cell (counted statuses: pending 1, claimed 2, dead-letter 6) and
-- writes the cells in key order (queue, status, priority, block, stripe), so two statements touching the
-- same cells (a claim and a reap) lock them in the same order and cannot deadlock on them.
CREATE FUNCTION "queue_items_count_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cell record;
BEGIN
  FOR cell IN
    SELECT "queue", "status", "priority", "seq" / 1024 AS "block", ("seq" % 16)::int AS "stripe", count(*) AS delta
      FROM new_rows WHERE "status" IN (1, 2, 6)
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  LOOP
    PERFORM "item_counts_add"(cell."queue", cell."status", cell."priority", cell."block", cell."stripe", cell.delta);
  END LOOP;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE FUNCTION "queue_items_count_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cell record;
BEGIN
  FOR cell IN
    SELECT "queue", "status", "priority", "seq" / 1024 AS "block", ("seq" % 16)::int AS "stripe", -count(*) AS delta
      FROM old_rows WHERE "status" IN (1, 2, 6)
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  LOOP
    PERFORM "item_counts_add"(cell."queue", cell."status", cell."priority", cell."block", cell."stripe", cell.delta);
  END LOOP;
  RETURN NULL;
END
$$;--> statement-breakpoint
-- Transition tables cannot go with a column list, so this fires for every update (lease renewals too):
-- a row whose status did not change adds +1 and −1 to one cell, which sums to nothing and writes nothing.
CREATE FUNCTION "queue_items_count_update"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cell record;
BEGIN
  FOR cell IN
    WITH changes AS (
      SELECT "queue", "status", "priority", "seq", 1 AS d FROM new_rows WHERE "status" IN (1, 2, 6)
      UNION ALL
      SELECT "queue", "status", "priority", "seq", -1 AS d FROM old_rows WHERE "status" IN (1, 2, 6)
    )
    SELECT "queue", "status", "priority", "seq" / 1024 AS "block", ("seq" % 16)::int AS "stripe", sum(d) AS delta
      FROM changes
     GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5
  LOOP
    PERFORM "item_counts_add"(cell."queue", cell."status", cell."priority", cell."block", cell."stripe", cell.delta);
  END LOOP;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "queue_items_count_insert" AFTER INSERT ON "queue_items" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "queue_items_count_insert"();--> statement-breakpoint
CREATE TRIGGER "queue_items_count_update" AFTER UPDATE ON "queue_items" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "queue_items_count_update"();--> statement-breakpoint
CREATE TRIGGER "queue_items_count_delete" AFTER DELETE ON "queue_items" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "queue_items_count_delete"();--> statement-breakpoint
-- Recounted into a fresh file: drops whatever bloat the row trigger left, and any drift with it.
TRUNCATE "item_counts";--> statement-breakpoint
INSERT INTO "item_counts" ("queue", "status", "priority", "block", "stripe", "n")
SELECT "queue", "status", "priority", "seq" / 1024, ("seq" % 16)::int, count(*) FROM "queue_items" WHERE "status" IN (1, 2, 6) GROUP BY 1, 2, 3, 4, 5;
