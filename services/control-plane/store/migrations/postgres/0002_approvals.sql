CREATE TABLE "approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"item_id" text DEFAULT '' NOT NULL,
	"kind" integer NOT NULL,
	"subject" text NOT NULL,
	"rule" text NOT NULL,
	"timeout_action" integer NOT NULL,
	"status" integer NOT NULL,
	"answered_by" text DEFAULT '' NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"idempotency_key" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"answered_at" bigint,
	"timed_out" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_idempotency_key" ON "approvals" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "approvals_expiry" ON "approvals" USING btree ("expires_at") WHERE status = 1;--> statement-breakpoint
CREATE INDEX "approvals_session" ON "approvals" USING btree ("session_id","created_at");