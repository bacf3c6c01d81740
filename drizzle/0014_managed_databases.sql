CREATE TABLE "databases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"server_id" uuid NOT NULL,
	"pg_name" text NOT NULL,
	"password" text NOT NULL,
	"status" text DEFAULT 'creating' NOT NULL,
	"error" text,
	"job_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "databases_org_name" UNIQUE("org_id","name"),
	CONSTRAINT "databases_server_pg_name" UNIQUE("server_id","pg_name")
);
--> statement-breakpoint
CREATE TABLE "db_servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"image" text NOT NULL,
	"placement" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"superuser_password" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "db_servers_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "databases" ADD CONSTRAINT "databases_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "databases" ADD CONSTRAINT "databases_server_id_db_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."db_servers"("id") ON DELETE no action ON UPDATE no action;