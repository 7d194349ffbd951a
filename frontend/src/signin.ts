// Signing in and out: asks the server (api/) and keeps the answer as the
// session (session.ts), so the API layer never writes the session itself.
import { logout } from './api/accounts'
import { loginAdmin, loginUser } from './api/auth'
import type { Accepted, AdminLogin, UserLogin } from './api/types'
import { clearDrafts } from './drafts'
import { type Kind, session, setAdminSession, setUserSession, signOut } from './session'

/** Keeps a manager's login answer as their session. */
export function keepUser(answer: UserLogin): void {
  setUserSession({
    token: answer.token,
    expiresAt: answer.expires_at,
    user: answer.user,
    companies: answer.companies,
    companyId: answer.companies.find((c) => c.active)?.id ?? answer.companies[0]?.id ?? null,
    pollSecs: answer.ui.poll_interval_secs,
  })
}

/** Keeps a team member's login answer as their session. */
export function keepAdmin(answer: AdminLogin): void {
  setAdminSession({
    token: answer.token,
    expiresAt: answer.expires_at,
    admin: answer.admin,
    pollSecs: answer.ui.poll_interval_secs,
  })
}

/** Keeps the answer of a used invitation link; says which kind signed in. */
export function keepAccepted(answer: Accepted): Kind {
  if (answer.kind === 'admin') {
    keepAdmin(answer)
    return 'admin'
  }
  keepUser(answer)
  return 'user'
}

/** Signs a manager in and keeps the session. */
export async function signInUser(email: string, password: string): Promise<void> {
  keepUser(await loginUser(email, password))
}

/** Signs a member of the team in and keeps the session. */
export async function signInAdmin(email: string, password: string): Promise<void> {
  keepAdmin(await loginAdmin(email, password))
}

/** After a password change: the session goes on with its new token. */
export function renewToken(kind: Kind, token: string, expiresAt: string): void {
  if (kind === 'user' && session.user) setUserSession({ ...session.user, token, expiresAt })
  if (kind === 'admin' && session.admin) setAdminSession({ ...session.admin, token, expiresAt })
}

/** Signing out on purpose: the token is revoked on the server (if it can be
 * reached), and what was typed is forgotten, on a shared computer too. */
export async function signOutOnPurpose(kind: Kind): Promise<void> {
  try {
    await logout(kind)
  } catch {
    // Offline or already signed out: the token is forgotten here all the same.
  }
  clearDrafts(kind)
  signOut(kind)
}
