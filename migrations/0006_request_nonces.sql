CREATE TABLE `request_nonces` (
	`nonce` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `request_nonces_expiry` ON `request_nonces` (`expires_at`);