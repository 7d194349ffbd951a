// Who is signed in, per kind of account. A manager session and an agent
// session can live side by side in one browser; each is kept in
// localStorage so a reload keeps the user signed in until the token expires.
import { reactive } from 'vue'
import type { Admin, Membership, User } from './api/types'

export type Kind = 'user' | 'admin'

export interface UserSession {
  token: string
  expiresAt: string
  user: User
  companies: Membership[]
  companyId: number | null
  pollSecs: number
}

export interface AdminSession {
  token: string
  expiresAt: string
  admin: Admin
  pollSecs: number
}

const KEYS: Record<Kind, string> = { user: 'ticketing.session.user', admin: 'ticketing.session.admin' }

/** The kinds whose kept session had run out when the app started. */
export const endedAtStart: Record<Kind, boolean> = { user: false, admin: false }

function load<T extends { expiresAt: string }>(kind: Kind): T | null {
  try {
    const raw = globalThis.localStorage?.getItem(KEYS[kind])
    if (!raw) return null
    const value = JSON.parse(raw) as T
    if (Date.parse(value.expiresAt) <= Date.now()) {
      endedAtStart[kind] = true
      globalThis.localStorage?.removeItem(KEYS[kind])
      return null
    }
    return value
  } catch {
    return null
  }
}

export const session = reactive<{ user: UserSession | null; admin: AdminSession | null }>({
  user: load<UserSession>('user'),
  admin: load<AdminSession>('admin'),
})

function save(kind: Kind) {
  const value = session[kind]
  if (value) globalThis.localStorage?.setItem(KEYS[kind], JSON.stringify(value))
  else globalThis.localStorage?.removeItem(KEYS[kind])
}

export function setUserSession(value: UserSession | null) {
  session.user = value
  save('user')
}

export function setAdminSession(value: AdminSession | null) {
  session.admin = value
  save('admin')
}

export function selectCompany(id: number) {
  if (session.user) {
    session.user.companyId = id
    save('user')
  }
}

/** Forgets the session of this kind (the token is gone or refused). */
export function signOut(kind: Kind) {
  if (kind === 'user') setUserSession(null)
  else setAdminSession(null)
}

export function tokenFor(kind: Kind): string | null {
  return kind === 'user' ? (session.user?.token ?? null) : (session.admin?.token ?? null)
}

/** Whether the signed-in agent may manage the team and see every ticket. */
export function isFullAdmin(): boolean {
  const role = session.admin?.admin.role
  return role === 'platform_owner' || role === 'platform_admin'
}

