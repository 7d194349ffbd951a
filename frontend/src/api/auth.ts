// Signing in, for both kinds of account.
import { fetchJson } from './client'
import type { Admin, Membership, UiSettings, User } from './types'
import { setAdminSession, setUserSession } from '../session'

interface UserLogin {
  token: string
  expires_at: string
  user: User
  companies: Membership[]
  ui: UiSettings
}

interface AdminLogin {
  token: string
  expires_at: string
  admin: Admin
  ui: UiSettings
}

export async function signInUser(email: string, password: string): Promise<void> {
  const answer = await fetchJson<UserLogin>('user', '/api/auth/login', {
    method: 'POST',
    body: { email, password },
    anonymous: true,
  })
  setUserSession({
    token: answer.token,
    expiresAt: answer.expires_at,
    user: answer.user,
    companies: answer.companies,
    companyId: answer.companies[0]?.id ?? null,
    pollSecs: answer.ui.poll_interval_secs,
  })
}

export async function signInAdmin(email: string, password: string): Promise<void> {
  const answer = await fetchJson<AdminLogin>('admin', '/platform-admin/auth/login', {
    method: 'POST',
    body: { email, password },
    anonymous: true,
  })
  setAdminSession({
    token: answer.token,
    expiresAt: answer.expires_at,
    admin: answer.admin,
    pollSecs: answer.ui.poll_interval_secs,
  })
}
