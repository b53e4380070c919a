CREATE TABLE `view_marks` (
	`day` text NOT NULL,
	`mark` text NOT NULL,
	`film_id` text NOT NULL,
	`batch` text NOT NULL,
	PRIMARY KEY(`day`, `mark`)
);
--> statement-breakpoint
CREATE INDEX `view_marks_batch` ON `view_marks` (`batch`);