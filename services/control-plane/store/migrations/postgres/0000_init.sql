CREATE TABLE "artifacts" (
	"id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"name" text NOT NULL,
	"media_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"created_at" bigint NOT NULL,
	"content" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"session_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"time" bigint NOT NULL,
	"item_id" text DEFAULT '' NOT NULL,
	"payload_case" text NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "events_session_id_seq_pk" PRIMARY KEY("session_id","seq")
);
--> statement-breakpoint
CREATE TABLE "queue_items" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"queue" integer NOT NULL,
	"session_id" text NOT NULL,
	"priority" integer NOT NULL,
	"status" integer NOT NULL,
	"payload" "bytea" NOT NULL,
	"result" "bytea",
	"idempotency_key" text DEFAULT '' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"claimed_by" text DEFAULT '' NOT NULL,
	"target_worker_id" text DEFAULT '' NOT NULL,
	"lease_token" text DEFAULT '' NOT NULL,
	"lease_expires_at" bigint,
	"cancel_requested" integer DEFAULT 0 NOT NULL,
	"cancel_reason" text DEFAULT '' NOT NULL,
	"last_error" text DEFAULT '' NOT NULL,
	"parent_id" text DEFAULT '' NOT NULL,
	"enqueued_at" bigint NOT NULL,
	"available_at" bigint NOT NULL,
	"claimed_at" bigint,
	"first_claimed_at" bigint,
	"finished_at" bigint,
	"last_log_line" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "queue_items_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"idempotency_key" text DEFAULT '' NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"drivers" text NOT NULL,
	"concurrency" integer NOT NULL,
	"active_job_ids" text NOT NULL,
	"version" text NOT NULL,
	"first_seen_at" bigint NOT NULL,
	"last_heartbeat_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_job_id_queue_items_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."queue_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "queue_items" ADD CONSTRAINT "queue_items_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artifacts_job" ON "artifacts" USING btree ("job_id","created_at");--> statement-breakpoint
CREATE INDEX "events_item" ON "events" USING btree ("session_id","item_id","seq");--> statement-breakpoint
CREATE INDEX "queue_items_claim" ON "queue_items" USING btree ("queue","priority","seq") WHERE status = 1;--> statement-breakpoint
CREATE INDEX "queue_items_lease" ON "queue_items" USING btree ("queue","lease_expires_at") WHERE status = 2;--> statement-breakpoint
CREATE INDEX "queue_items_worker" ON "queue_items" USING btree ("claimed_by") WHERE status = 2;--> statement-breakpoint
CREATE UNIQUE INDEX "queue_items_idempotency_key" ON "queue_items" USING btree ("queue","idempotency_key") WHERE idempotency_key <> '';--> statement-breakpoint
CREATE INDEX "queue_items_status" ON "queue_items" USING btree ("status","queue","priority");--> statement-breakpoint
CREATE INDEX "queue_items_finished" ON "queue_items" USING btree ("queue","finished_at");--> statement-breakpoint
CREATE INDEX "queue_items_claimed" ON "queue_items" USING btree ("queue","claimed_at");--> statement-breakpoint
CREATE INDEX "queue_items_session" ON "queue_items" USING btree ("session_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_idempotency_key" ON "sessions" USING btree ("idempotency_key") WHERE idempotency_key <> '';--> statement-breakpoint
CREATE INDEX "sessions_created" ON "sessions" USING btree ("created_at","id");