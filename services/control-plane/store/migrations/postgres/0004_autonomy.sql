CREATE TABLE "autonomy_leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" bigint NOT NULL,
	"acquired_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "autonomy_objectives" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"title" text NOT NULL,
	"evidence" text NOT NULL,
	"score" double precision NOT NULL,
	"status" integer NOT NULL,
	"outcome" integer DEFAULT 0 NOT NULL,
	"session_id" text NOT NULL,
	"request_id" text DEFAULT '' NOT NULL,
	"approval_id" text DEFAULT '' NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"created_at" bigint NOT NULL,
	"dispatched_at" bigint,
	"finished_at" bigint
);
--> statement-breakpoint
CREATE TABLE "autonomy_priors" (
	"kind" text PRIMARY KEY NOT NULL,
	"value" double precision NOT NULL,
	"samples" integer NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "autonomy_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"mode" integer NOT NULL,
	"frozen_until" bigint,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" bigint NOT NULL,
	"audit_session_id" text NOT NULL,
	"evaluation" "bytea"
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "objective_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "objective_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "autonomy_objectives" ADD CONSTRAINT "autonomy_objectives_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "autonomy_objectives_key" ON "autonomy_objectives" USING btree ("key","created_at");--> statement-breakpoint
CREATE INDEX "autonomy_objectives_status" ON "autonomy_objectives" USING btree ("status");--> statement-breakpoint
CREATE INDEX "autonomy_objectives_created" ON "autonomy_objectives" USING btree ("created_at","id");