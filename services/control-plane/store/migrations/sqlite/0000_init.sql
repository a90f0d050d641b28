CREATE TABLE `artifacts` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`name` text NOT NULL,
	`media_type` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`created_at` integer NOT NULL,
	`content` blob NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `queue_items`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `artifacts_job` ON `artifacts` (`job_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`session_id` text NOT NULL,
	`seq` integer NOT NULL,
	`time` integer NOT NULL,
	`item_id` text DEFAULT '' NOT NULL,
	`payload_case` text NOT NULL,
	`data` blob NOT NULL,
	PRIMARY KEY(`session_id`, `seq`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `events_item` ON `events` (`session_id`,`item_id`,`seq`);--> statement-breakpoint
CREATE TABLE `queue_items` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`queue` integer NOT NULL,
	`session_id` text NOT NULL,
	`priority` integer NOT NULL,
	`status` integer NOT NULL,
	`payload` blob NOT NULL,
	`result` blob,
	`idempotency_key` text DEFAULT '' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`claimed_by` text DEFAULT '' NOT NULL,
	`target_worker_id` text DEFAULT '' NOT NULL,
	`lease_token` text DEFAULT '' NOT NULL,
	`lease_expires_at` integer,
	`cancel_requested` integer DEFAULT 0 NOT NULL,
	`cancel_reason` text DEFAULT '' NOT NULL,
	`last_error` text DEFAULT '' NOT NULL,
	`parent_id` text DEFAULT '' NOT NULL,
	`enqueued_at` integer NOT NULL,
	`available_at` integer NOT NULL,
	`claimed_at` integer,
	`first_claimed_at` integer,
	`finished_at` integer,
	`last_log_line` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `queue_items_id_unique` ON `queue_items` (`id`);--> statement-breakpoint
CREATE INDEX `queue_items_claim` ON `queue_items` (`queue`,`priority`,`seq`) WHERE status = 1;--> statement-breakpoint
CREATE INDEX `queue_items_lease` ON `queue_items` (`queue`,`lease_expires_at`) WHERE status = 2;--> statement-breakpoint
CREATE INDEX `queue_items_worker` ON `queue_items` (`claimed_by`) WHERE status = 2;--> statement-breakpoint
CREATE UNIQUE INDEX `queue_items_idempotency_key` ON `queue_items` (`queue`,`idempotency_key`) WHERE idempotency_key <> '';--> statement-breakpoint
CREATE INDEX `queue_items_status` ON `queue_items` (`status`,`queue`,`priority`);--> statement-breakpoint
CREATE INDEX `queue_items_finished` ON `queue_items` (`queue`,`finished_at`);--> statement-breakpoint
CREATE INDEX `queue_items_claimed` ON `queue_items` (`queue`,`claimed_at`);--> statement-breakpoint
CREATE INDEX `queue_items_session` ON `queue_items` (`session_id`,`seq`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`idempotency_key` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_seq` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_idempotency_key` ON `sessions` (`idempotency_key`) WHERE idempotency_key <> '';--> statement-breakpoint
CREATE INDEX `sessions_created` ON `sessions` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`host` text NOT NULL,
	`drivers` text NOT NULL,
	`concurrency` integer NOT NULL,
	`active_job_ids` text NOT NULL,
	`version` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_heartbeat_at` integer NOT NULL
);
