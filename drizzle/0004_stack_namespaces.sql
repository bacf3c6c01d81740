-- Stacks created before Swarm names were made injective keep their `<org>-<stack>` namespace (their
-- volumes hold data under those names); new stacks get `<org>_<stack>` from the application.
ALTER TABLE "stacks" ADD COLUMN "namespace" text;--> statement-breakpoint
UPDATE "stacks" SET "namespace" = "organizations"."slug" || '-' || "stacks"."name" FROM "organizations" WHERE "organizations"."id" = "stacks"."org_id";--> statement-breakpoint
ALTER TABLE "stacks" ALTER COLUMN "namespace" SET NOT NULL;
