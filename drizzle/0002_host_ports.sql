CREATE TABLE "host_ports" (
	"port" integer PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"stack_id" uuid NOT NULL,
	"service" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "host_ports" ADD CONSTRAINT "host_ports_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_ports" ADD CONSTRAINT "host_ports_stack_id_stacks_id_fk" FOREIGN KEY ("stack_id") REFERENCES "public"."stacks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "host_ports_stack" ON "host_ports" USING btree ("stack_id");