CREATE TABLE `pending_deletes` (
	`prefix` text PRIMARY KEY NOT NULL,
	`asked_at` integer NOT NULL,
	`reason` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `pending_deletes_asked` ON `pending_deletes` (`asked_at`);