CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`item_id` text DEFAULT '' NOT NULL,
	`kind` integer NOT NULL,
	`subject` text NOT NULL,
	`rule` text NOT NULL,
	`timeout_action` integer NOT NULL,
	`status` integer NOT NULL,
	`answered_by` text DEFAULT '' NOT NULL,
	`comment` text DEFAULT '' NOT NULL,
	`idempotency_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`answered_at` integer,
	`timed_out` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approvals_idempotency_key` ON `approvals` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `approvals_expiry` ON `approvals` (`expires_at`) WHERE status = 1;--> statement-breakpoint
CREATE INDEX `approvals_session` ON `approvals` (`session_id`,`created_at`);