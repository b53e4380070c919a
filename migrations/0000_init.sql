CREATE TABLE `ad_impressions` (
	`ad_id` text NOT NULL,
	`day` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`ad_id`, `day`),
	FOREIGN KEY (`ad_id`) REFERENCES `ads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `ads` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`asset_key` text,
	`content_type` text,
	`source_key` text,
	`hls_prefix` text,
	`job_id` text,
	`duration` real,
	`renditions` text,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ads_pick` ON `ads` (`type`,`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `episodes` (
	`film_id` text NOT NULL,
	`route` text NOT NULL,
	`episode` text NOT NULL,
	`status` text NOT NULL,
	`job_id` text,
	`hls_prefix` text,
	`master_key` text,
	`source_key` text,
	`duration` real,
	`renditions` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`film_id`, `route`, `episode`),
	FOREIGN KEY (`film_id`) REFERENCES `films`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `film_people` (
	`film_id` text NOT NULL,
	`role` text NOT NULL,
	`name` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`film_id`, `role`, `position`),
	FOREIGN KEY (`film_id`) REFERENCES `films`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `film_people_name` ON `film_people` (`name`);--> statement-breakpoint
CREATE TABLE `film_views` (
	`film_id` text NOT NULL,
	`day` text NOT NULL,
	`views` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`film_id`, `day`),
	FOREIGN KEY (`film_id`) REFERENCES `films`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `film_views_day` ON `film_views` (`day`);--> statement-breakpoint
CREATE TABLE `films` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`type` text NOT NULL,
	`category` text NOT NULL,
	`location` text NOT NULL,
	`language` text DEFAULT '' NOT NULL,
	`release_year` integer DEFAULT 0 NOT NULL,
	`state` text DEFAULT '' NOT NULL,
	`introduction` text DEFAULT '' NOT NULL,
	`poster_key` text,
	`auto_poster_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`total_views` integer DEFAULT 0 NOT NULL,
	`today_views` integer DEFAULT 0 NOT NULL,
	`views_day` text DEFAULT '' NOT NULL,
	`week_views` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `films_updated` ON `films` (`updated_at`);--> statement-breakpoint
CREATE INDEX `films_created` ON `films` (`created_at`);--> statement-breakpoint
CREATE INDEX `films_week` ON `films` (`week_views`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_total` ON `films` (`total_views`);--> statement-breakpoint
CREATE INDEX `films_today` ON `films` (`today_views`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_type_updated` ON `films` (`type`,`updated_at`);--> statement-breakpoint
CREATE INDEX `films_type_created` ON `films` (`type`,`created_at`);--> statement-breakpoint
CREATE INDEX `films_type_week` ON `films` (`type`,`week_views`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_type_total` ON `films` (`type`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_type_today` ON `films` (`type`,`today_views`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_category_updated` ON `films` (`category`,`updated_at`);--> statement-breakpoint
CREATE INDEX `films_category_created` ON `films` (`category`,`created_at`);--> statement-breakpoint
CREATE INDEX `films_category_week` ON `films` (`category`,`week_views`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_category_total` ON `films` (`category`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_category_today` ON `films` (`category`,`today_views`,`total_views`);--> statement-breakpoint
CREATE INDEX `films_location_updated` ON `films` (`location`,`updated_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`film_id` text,
	`route` text,
	`episode` text,
	`ad_id` text,
	`film_state` text,
	`source_key` text NOT NULL,
	`output_prefix` text NOT NULL,
	`progress` real DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `jobs_status` ON `jobs` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`r2_upload_id` text NOT NULL,
	`key` text NOT NULL,
	`target` text NOT NULL,
	`size` integer NOT NULL,
	`part_size` integer NOT NULL,
	`content_type` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
