ALTER TABLE "domains" DROP CONSTRAINT "domains_hostname_unique";--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "path_prefix" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "https_redirect" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "domains_org" ON "domains" USING btree ("org_id");--> statement-breakpoint
ALTER TABLE "domains" ADD CONSTRAINT "domains_host_path" UNIQUE("hostname","path_prefix");