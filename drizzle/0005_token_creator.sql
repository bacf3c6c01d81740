-- Tokens record who they answer to: a user (created_by) or the bootstrap admin token.
ALTER TABLE "api_tokens" ADD COLUMN "creator_kind" text DEFAULT 'user' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ALTER COLUMN "creator_kind" DROP DEFAULT;--> statement-breakpoint
-- A token with no recorded creator (made with the admin token or by another token before creators
-- were recorded, or whose user was deleted) answers to nobody, so it is revoked, and the log says why.
INSERT INTO "audit_log" ("org_id", "actor", "action", "target", "details")
SELECT t."org_id", 'berth', 'revoke token', '/api/v1/orgs/' || o."slug" || '/tokens/' || t."id",
	jsonb_build_object('name', t."name", 'reason', 'no recorded creator (made before tokens recorded one); create it again')
FROM "api_tokens" t JOIN "organizations" o ON o."id" = t."org_id"
WHERE t."created_by" IS NULL AND t."revoked_at" IS NULL;--> statement-breakpoint
UPDATE "api_tokens" SET "revoked_at" = now() WHERE "created_by" IS NULL AND "revoked_at" IS NULL;
