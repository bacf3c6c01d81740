-- A deployment keeps the user's input apart from what Berth decided (spec: host ports filled in), so
-- that a rollback replays the input and decides afresh. Revisions recorded before have only their
-- spec: it stands in for their input (their host ports are then asked for as if the user had).
ALTER TABLE "deployments" ADD COLUMN "input" jsonb;--> statement-breakpoint
UPDATE "deployments" SET "input" = "spec";--> statement-breakpoint
ALTER TABLE "deployments" ALTER COLUMN "input" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "rollback_of" integer;
