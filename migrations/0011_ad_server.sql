CREATE TABLE `ad_beacons` (
	`decision_id` text NOT NULL,
	`entry` integer NOT NULL,
	`event` text NOT NULL,
	`ad_id` text NOT NULL,
	`day` text NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`ok` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`decision_id`, `entry`, `event`)
);
--> statement-breakpoint
CREATE INDEX `ad_beacons_ad_day` ON `ad_beacons` (`ad_id`,`day`);--> statement-breakpoint
CREATE TABLE `ad_decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`entries` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ad_server_outcomes` (
	`day` text NOT NULL,
	`outcome` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `outcome`)
);
--> statement-breakpoint
CREATE TABLE `creatives` (
	`url_hash` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`ad_id` text,
	`status` text NOT NULL,
	`error` text,
	`bytes` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `creatives_ad` ON `creatives` (`ad_id`);--> statement-breakpoint
ALTER TABLE `ads` ADD `origin` text DEFAULT 'upload' NOT NULL;