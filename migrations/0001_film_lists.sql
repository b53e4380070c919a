ALTER TABLE `films` ADD `actors` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `films` ADD `directors` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `films_location_created` ON `films` (`location`,`created_at`);--> statement-breakpoint
CREATE INDEX `films_location_week` ON `films` (`location`,`week_views`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_location_total` ON `films` (`location`,`total_views`);