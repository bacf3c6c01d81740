CREATE TABLE "host_certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"hostname" text NOT NULL,
	"cert_pem" text NOT NULL,
	"key_sealed" text NOT NULL,
	"issuer" text NOT NULL,
	"fingerprint" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "host_certificates_org_host" UNIQUE("org_id","hostname")
);
--> statement-breakpoint
ALTER TABLE "host_certificates" ADD CONSTRAINT "host_certificates_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;