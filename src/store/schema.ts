// The database schema, in domain terms. Swarm and Caddy types never appear here: a deployment keeps
// the StackModel the user asked for, and plan code derives Engine bodies from it.
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import type { StackModel } from "../domain/stack.js";

const id = () => uuid("id").primaryKey().default(sql`gen_random_uuid()`);
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const organizations = pgTable("organizations", {
  id: id(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  createdAt: createdAt(),
});

export const stacks = pgTable(
  "stacks",
  {
    id: id(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("stacks_org_name").on(t.orgId, t.name)],
);

export interface ServiceAction {
  action: "create" | "update" | "none";
  /** Docker's UpdatedAt after the change: tasks created before it belong to an earlier revision. */
  since?: string;
}

export const DEPLOYMENT_STATUSES = ["pending", "running", "succeeded", "failed", "rolled_back"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const deployments = pgTable(
  "deployments",
  {
    id: id(),
    stackId: uuid("stack_id")
      .notNull()
      .references(() => stacks.id, { onDelete: "cascade" }),
    revision: integer("revision").notNull(),
    spec: jsonb("spec").$type<StackModel>().notNull(),
    status: text("status", { enum: DEPLOYMENT_STATUSES }).notNull().default("pending"),
    reason: text("reason"),
    /** What the deployment did to each service, and Docker's timestamp of that change. */
    actions: jsonb("actions").$type<Record<string, ServiceAction>>().notNull().default({}),
    requestedBy: text("requested_by").notNull(),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    unique("deployments_stack_revision").on(t.stackId, t.revision),
    index("deployments_status").on(t.status),
  ],
);
