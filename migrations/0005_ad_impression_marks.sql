CREATE TABLE `ad_impression_marks` (
	`plan` text NOT NULL,
	`brk` integer NOT NULL,
	`ad_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`plan`, `brk`)
);
--> statement-breakpoint
CREATE INDEX `ad_impression_marks_expiry` ON `ad_impression_marks` (`expires_at`);