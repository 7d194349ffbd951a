// Signing in, for both kinds of account. The answers go to the caller
// (`session.ts` keeps them); this layer only speaks to the server.
import { fetchJson } from './client'
import type { AdminLogin, UserLogin } from './types'

export function loginUser(email: string, password: string): Promise<UserLogin> {
  return fetchJson<UserLogin>('user', '/api/auth/login', { method: 'POST', body: { email, password }, anonymous: true })
}

export function loginAdmin(email: string, password: string): Promise<AdminLogin> {
  return fetchJson<AdminLogin>('admin', '/platform-admin/auth/login', {
    method: 'POST',
    body: { email, password },
    anonymous: true,
  })
}
