// Signing in: asks the server (api/auth) and keeps the answer as the
// session (session.ts), so the API layer never writes the session itself.
import { loginAdmin, loginUser } from './api/auth'
import { setAdminSession, setUserSession } from './session'

/** Signs a manager in and keeps the session. */
export async function signInUser(email: string, password: string): Promise<void> {
  const answer = await loginUser(email, password)
  setUserSession({
    token: answer.token,
    expiresAt: answer.expires_at,
    user: answer.user,
    companies: answer.companies,
    companyId: answer.companies[0]?.id ?? null,
    pollSecs: answer.ui.poll_interval_secs,
  })
}

/** Signs a member of the team in and keeps the session. */
export async function signInAdmin(email: string, password: string): Promise<void> {
  const answer = await loginAdmin(email, password)
  setAdminSession({
    token: answer.token,
    expiresAt: answer.expires_at,
    admin: answer.admin,
    pollSecs: answer.ui.poll_interval_secs,
  })
}
