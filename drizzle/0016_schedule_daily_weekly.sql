ALTER TABLE "backup_schedules" ADD COLUMN "keep_daily" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "backup_schedules" ADD COLUMN "keep_weekly" integer DEFAULT 0 NOT NULL;