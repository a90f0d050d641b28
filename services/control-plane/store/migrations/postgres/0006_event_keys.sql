-- Events store integers instead of the two 30-character ids (issue 17, bytes per event): the session's session_key (new here, from its sequence; existing sessions are numbered as the column is added) and the item's queue_items.seq, in the row and in both indexes. ListEvents reads the ids back through them, so nothing on the wire changes.
ALTER TABLE "sessions" ADD COLUMN "session_key" bigserial NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_session_key" ON "sessions" USING btree ("session_key");--> statement-breakpoint
-- A new table rather than ALTERs: a dropped column's bytes stay in every old row until it is rewritten. An item id that names no queue item keeps its text in item_id (item_seq 0), so no event loses its item.
CREATE TABLE "events_keyed" (
	"session_key" bigint NOT NULL,
	"seq" bigint NOT NULL,
	"time" bigint NOT NULL,
	"item_seq" bigint DEFAULT 0 NOT NULL,
	"item_id" text DEFAULT '' NOT NULL,
	"payload_case" text NOT NULL,
	"objective_id" text DEFAULT '' NOT NULL,
	"data" bytea NOT NULL
);--> statement-breakpoint
INSERT INTO "events_keyed" ("session_key", "seq", "time", "item_seq", "item_id", "payload_case", "objective_id", "data")
SELECT s."session_key", e."seq", e."time", coalesce(q."seq", 0), CASE WHEN q."seq" IS NULL THEN e."item_id" ELSE '' END, e."payload_case", e."objective_id", e."data"
  FROM "events" e JOIN "sessions" s ON s."id" = e."session_id" LEFT JOIN "queue_items" q ON q."id" = e."item_id" AND e."item_id" <> '';--> statement-breakpoint
DROP TABLE "events";--> statement-breakpoint
ALTER TABLE "events_keyed" RENAME TO "events";--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_session_key_seq_pk" PRIMARY KEY("session_key","seq");--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_session_key_sessions_session_key_fk" FOREIGN KEY ("session_key") REFERENCES "public"."sessions"("session_key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_item" ON "events" USING btree ("session_key","item_seq","item_id","seq");
