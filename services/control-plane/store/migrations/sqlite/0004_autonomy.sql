CREATE TABLE `autonomy_leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL,
	`acquired_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `autonomy_objectives` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`target` text NOT NULL,
	`title` text NOT NULL,
	`evidence` text NOT NULL,
	`score` real NOT NULL,
	`status` integer NOT NULL,
	`outcome` integer DEFAULT 0 NOT NULL,
	`session_id` text NOT NULL,
	`request_id` text DEFAULT '' NOT NULL,
	`approval_id` text DEFAULT '' NOT NULL,
	`comment` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`dispatched_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `autonomy_objectives_key` ON `autonomy_objectives` (`key`,`created_at`);--> statement-breakpoint
CREATE INDEX `autonomy_objectives_status` ON `autonomy_objectives` (`status`);--> statement-breakpoint
CREATE INDEX `autonomy_objectives_created` ON `autonomy_objectives` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `autonomy_priors` (
	`kind` text PRIMARY KEY NOT NULL,
	`value` real NOT NULL,
	`samples` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `autonomy_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`mode` integer NOT NULL,
	`frozen_until` integer,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`audit_session_id` text NOT NULL,
	`evaluation` blob
);
--> statement-breakpoint
ALTER TABLE `events` ADD `objective_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `objective_id` text DEFAULT '' NOT NULL;