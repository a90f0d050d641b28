CREATE TABLE "item_counts" (
	"queue" integer NOT NULL,
	"status" integer NOT NULL,
	"priority" integer NOT NULL,
	"block" bigint NOT NULL,
	"stripe" integer NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "item_counts_queue_status_priority_block_stripe_pk" PRIMARY KEY("queue","status","priority","block","stripe")
);
--> statement-breakpoint
-- Every status change rewrites a counter row: room on each page keeps those updates HOT (pruned in place, no new index entries).
ALTER TABLE "item_counts" SET (fillfactor = 50);--> statement-breakpoint
DROP INDEX "queue_items_status";--> statement-breakpoint
CREATE INDEX "queue_items_queue" ON "queue_items" USING btree ("queue","seq");--> statement-breakpoint
CREATE INDEX "queue_items_status" ON "queue_items" USING btree ("status","seq");--> statement-breakpoint
-- item_counts (schema/postgres.ts) is kept by this trigger, so every way an item changes status is counted, whichever statement does it. Counted statuses: pending 1, claimed 2, dead-letter 6.
-- The two cells an update touches are locked in status order, so two transactions moving items of one cell in opposite directions (a claim and a reap) cannot deadlock on them.
INSERT INTO "item_counts" ("queue", "status", "priority", "block", "stripe", "n")
SELECT "queue", "status", "priority", "seq" / 1024, ("seq" % 16)::int, count(*) FROM "queue_items" WHERE "status" IN (1, 2, 6) GROUP BY 1, 2, 3, 4, 5;--> statement-breakpoint
CREATE FUNCTION "queue_items_count"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  left_over bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD."status" IN (1, 2, 6) THEN
      UPDATE "item_counts" SET "n" = "n" - 1
       WHERE "queue" = OLD."queue" AND "status" = OLD."status" AND "priority" = OLD."priority" AND "block" = OLD."seq" / 1024 AND "stripe" = (OLD."seq" % 16)::int
      RETURNING "n" INTO left_over;
      IF left_over = 0 THEN
        DELETE FROM "item_counts"
         WHERE "queue" = OLD."queue" AND "status" = OLD."status" AND "priority" = OLD."priority" AND "block" = OLD."seq" / 1024 AND "stripe" = (OLD."seq" % 16)::int AND "n" = 0;
      END IF;
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    IF OLD."status" = NEW."status" THEN RETURN NULL; END IF;
    IF NEW."status" IN (1, 2, 6) AND NEW."status" < OLD."status" THEN
      INSERT INTO "item_counts" VALUES (NEW."queue", NEW."status", NEW."priority", NEW."seq" / 1024, (NEW."seq" % 16)::int, 1)
        ON CONFLICT ("queue", "status", "priority", "block", "stripe") DO UPDATE SET "n" = "item_counts"."n" + 1;
    END IF;
    IF OLD."status" IN (1, 2, 6) THEN
      UPDATE "item_counts" SET "n" = "n" - 1
       WHERE "queue" = OLD."queue" AND "status" = OLD."status" AND "priority" = OLD."priority" AND "block" = OLD."seq" / 1024 AND "stripe" = (OLD."seq" % 16)::int
      RETURNING "n" INTO left_over;
      IF left_over = 0 THEN
        DELETE FROM "item_counts"
         WHERE "queue" = OLD."queue" AND "status" = OLD."status" AND "priority" = OLD."priority" AND "block" = OLD."seq" / 1024 AND "stripe" = (OLD."seq" % 16)::int AND "n" = 0;
      END IF;
    END IF;
    IF NEW."status" IN (1, 2, 6) AND NEW."status" > OLD."status" THEN
      INSERT INTO "item_counts" VALUES (NEW."queue", NEW."status", NEW."priority", NEW."seq" / 1024, (NEW."seq" % 16)::int, 1)
        ON CONFLICT ("queue", "status", "priority", "block", "stripe") DO UPDATE SET "n" = "item_counts"."n" + 1;
    END IF;
  ELSIF NEW."status" IN (1, 2, 6) THEN
    INSERT INTO "item_counts" VALUES (NEW."queue", NEW."status", NEW."priority", NEW."seq" / 1024, (NEW."seq" % 16)::int, 1)
      ON CONFLICT ("queue", "status", "priority", "block", "stripe") DO UPDATE SET "n" = "item_counts"."n" + 1;
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "queue_items_count" AFTER INSERT OR UPDATE OF "status" OR DELETE ON "queue_items" FOR EACH ROW EXECUTE FUNCTION "queue_items_count"();
