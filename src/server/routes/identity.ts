// Sign-in (session cookie), the caller's own view, and users (created by platform admins).
import { z } from "zod";
import type { Platform } from "../../apply/platform.js";
import { Unauthorized } from "../../domain/errors.js";
import { hashPassword, newSecret, tokenHash, verifyPassword } from "../../security/passwords.js";
import { createSession, createUser, deleteSession, userByEmail } from "../../store/identity.js";
import { callerOrgs, csrfToken, SESSION_COOKIE } from "../access.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";

const SESSION_DAYS = 7;
export const email = z.email("must be an email address").max(254);
export const password = z.string().min(12, "must be at least 12 characters").max(256);

const loginBody = z.object({ email, password: z.string().min(1, "is required").max(256) }).strict();
const userBody = z.object({ email, password, platformAdmin: z.boolean().default(false) }).strict();

export function identityRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "POST",
      url: "/auth/login",
      response: z.object({ user: R.user }),
      access: "public",
      summary: "Sign in: sets an HTTP-only session cookie",
      body: loginBody,
      rateLimit: 10,
    },
    async ({ body, req, reply }) => {
      const user = await userByEmail(p.db, body.email);
      // The same answer and about the same work whether the user exists or not.
      dummyHash ??= hashPassword(newSecret(""));
      const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), body.password);
      if (!user || !ok) throw new Unauthorized("wrong email or password");
      // A session this browser still holds ends here: the new cookie replaces it.
      const previous = req.cookies[SESSION_COOKIE];
      if (previous) await deleteSession(p.db, tokenHash(previous));
      const token = newSecret("bs_");
      await createSession(p.db, user.id, tokenHash(token), new Date(Date.now() + SESSION_DAYS * 86_400_000));
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: "strict",
        path: "/",
        secure: "auto",
        maxAge: SESSION_DAYS * 86_400,
      });
      return { user: { id: user.id, email: user.email, platformAdmin: user.platformAdmin } };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/auth/logout",
      access: "signed-in",
      summary: "Sign out (ends the session)",
      response: z.object({ signedOut: z.literal(true) }),
    },
    async ({ req, reply }) => {
      const cookie = req.cookies[SESSION_COOKIE];
      if (cookie) await deleteSession(p.db, tokenHash(cookie));
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return { signedOut: true };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/me",
      access: "signed-in",
      summary: "Who is calling, and their organizations",
      response: R.me,
    },
    async ({ req }) => {
      const c = req.caller!;
      return {
        actor: c.actor,
        platformAdmin: c.platformAdmin,
        orgs: await callerOrgs(p, c),
        ...(req.session ? { csrfToken: csrfToken(req.session) } : {}),
      };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/users",
      response: z.object({ user: R.user }),
      access: "platform",
      summary: "Create a user (platform admin)",
      body: userBody,
      status: 201,
    },
    async ({ body }) => {
      const user = await createUser(p.db, {
        email: body.email,
        passwordHash: await hashPassword(body.password),
        platformAdmin: body.platformAdmin,
      });
      return { user: { id: user.id, email: user.email, platformAdmin: user.platformAdmin } };
    },
  );
}

// A real argon2id hash of a random password, so an unknown email costs as much as a wrong password.
let dummyHash: Promise<string> | undefined;
