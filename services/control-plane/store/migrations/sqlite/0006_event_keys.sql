-- Events store integers instead of the two 30-character ids (issue 17, bytes per event): the session's session_key (new here) and the item's queue_items.seq, in the row and in both indexes. ListEvents reads the ids back through them, so nothing on the wire changes.
-- SQLite adds a NOT NULL column only with a default; every session gets its rowid (unique now), and createSession hands out max + 1 from here on.
ALTER TABLE `sessions` ADD `session_key` integer NOT NULL DEFAULT 0;--> statement-breakpoint
UPDATE `sessions` SET `session_key` = `rowid`;--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_session_key` ON `sessions` (`session_key`);--> statement-breakpoint
-- Same clustering as 0005 (WITHOUT ROWID on the primary key). An item id that names no queue item keeps its text in item_id (item_seq 0), so no event loses its item.
CREATE TABLE `events_keyed` (
	`session_key` integer NOT NULL,
	`seq` integer NOT NULL,
	`time` integer NOT NULL,
	`item_seq` integer DEFAULT 0 NOT NULL,
	`item_id` text DEFAULT '' NOT NULL,
	`payload_case` text NOT NULL,
	`objective_id` text DEFAULT '' NOT NULL,
	`data` blob NOT NULL,
	PRIMARY KEY(`session_key`, `seq`),
	FOREIGN KEY (`session_key`) REFERENCES `sessions`(`session_key`) ON UPDATE no action ON DELETE no action
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `events_keyed` (`session_key`, `seq`, `time`, `item_seq`, `item_id`, `payload_case`, `objective_id`, `data`)
SELECT s.`session_key`, e.`seq`, e.`time`, coalesce(q.`seq`, 0), CASE WHEN q.`seq` IS NULL THEN e.`item_id` ELSE '' END, e.`payload_case`, e.`objective_id`, e.`data`
  FROM `events` e JOIN `sessions` s ON s.`id` = e.`session_id` LEFT JOIN `queue_items` q ON q.`id` = e.`item_id` AND e.`item_id` <> '';--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `events_keyed` RENAME TO `events`;--> statement-breakpoint
CREATE INDEX `events_item` ON `events` (`session_key`,`item_seq`,`item_id`,`seq`);
