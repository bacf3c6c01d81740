ALTER TABLE "domains" ADD COLUMN "status" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "managed_by_stack" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "maintenance" jsonb;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "suspension" jsonb;