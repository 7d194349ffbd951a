// Accounts: companies, their managers and the team (owners and admins),
// invitation links, a person's own password, and signing out.
import { call, fetchJson, query } from './client'
import type {
  Accepted,
  Admin,
  AdminRole,
  Company,
  InvitationFor,
  ManagerAccount,
  NewManager,
  NewSession,
  NewTeamMember,
  Page,
  Invitation,
  Notifications,
  UnsubscribeLink,
} from './types'
import type { Kind } from '../session'

export function companyPage(q: string, cursor: string | null): Promise<Page<Company>> {
  return fetchJson<Page<Company>>('admin', `/platform-admin/companies${query({ q, cursor, limit: 25 })}`)
}

export function company(id: number): Promise<Company> {
  return fetchJson<Company>('admin', `/platform-admin/companies/${id}`)
}

export function createCompany(name: string): Promise<Company> {
  return fetchJson<Company>('admin', '/platform-admin/companies', { method: 'POST', body: { name } })
}

export function updateCompany(id: number, change: { name?: string; active?: boolean }): Promise<Company> {
  return fetchJson<Company>('admin', `/platform-admin/companies/${id}`, { method: 'PATCH', body: change })
}

export async function companyManagers(id: number): Promise<ManagerAccount[]> {
  return (await fetchJson<{ items: ManagerAccount[] }>('admin', `/platform-admin/companies/${id}/users`)).items
}

export function inviteManager(email: string, name: string, companyIds: number[]): Promise<NewManager> {
  return fetchJson<NewManager>('admin', '/platform-admin/users', {
    method: 'POST',
    body: { email, name, company_ids: companyIds },
  })
}

export function updateManager(
  id: number,
  change: { name?: string; active?: boolean; company_ids?: number[] },
): Promise<ManagerAccount> {
  return fetchJson<ManagerAccount>('admin', `/platform-admin/users/${id}`, { method: 'PATCH', body: change })
}

/** A new link for an account; the old link and its sessions stop working. */
export async function newLink(kind: Kind, id: number): Promise<Invitation> {
  const path = kind === 'user' ? `/platform-admin/users/${id}/invitation` : `/platform-admin/team/${id}/invitation`
  return (await fetchJson<{ invitation: Invitation }>('admin', path, { method: 'POST' })).invitation
}

export function addMember(email: string, name: string, role: AdminRole): Promise<NewTeamMember> {
  return fetchJson<NewTeamMember>('admin', '/platform-admin/team', { method: 'POST', body: { email, name, role } })
}

export function updateMember(id: number, change: { name?: string; role?: AdminRole; active?: boolean }): Promise<Admin> {
  return fetchJson<Admin>('admin', `/platform-admin/team/${id}`, { method: 'PATCH', body: change })
}

export function invitationFor(token: string): Promise<InvitationFor> {
  return fetchJson<InvitationFor>('user', `/api/auth/invitations/${encodeURIComponent(token)}`, { anonymous: true })
}

export function acceptInvitation(token: string, password: string): Promise<Accepted> {
  return fetchJson<Accepted>('user', `/api/auth/invitations/${encodeURIComponent(token)}`, {
    method: 'POST',
    body: { password },
    anonymous: true,
  })
}

const ME: Record<Kind, string> = { user: '/api/me', admin: '/platform-admin/me' }

export function changePassword(kind: Kind, current: string, next: string): Promise<NewSession> {
  return fetchJson<NewSession>(kind, `${ME[kind]}/password`, {
    method: 'POST',
    body: { current_password: current, new_password: next },
  })
}

export async function signOutEverywhere(kind: Kind): Promise<void> {
  await call(kind, `${ME[kind]}/sessions/revoke-all`, { method: 'POST' })
}

/** Ends this session on the server; a session already gone is fine. */
export async function logout(kind: Kind): Promise<void> {
  const path = kind === 'user' ? '/api/auth/logout' : '/platform-admin/auth/logout'
  await call(kind, path, { method: 'POST', quiet: true })
}

export function notifications(kind: Kind): Promise<Notifications> {
  return fetchJson<Notifications>(kind, `${ME[kind]}/notifications`)
}

export function setNotifications(kind: Kind, choices: Record<string, boolean>): Promise<Notifications> {
  return fetchJson<Notifications>(kind, `${ME[kind]}/notifications`, { method: 'PUT', body: { choices } })
}

export function unsubscribeInfo(token: string): Promise<UnsubscribeLink> {
  return fetchJson<UnsubscribeLink>('user', `/api/notifications/unsubscribe${query({ token })}`, { anonymous: true })
}

export function unsubscribe(token: string): Promise<UnsubscribeLink> {
  return fetchJson<UnsubscribeLink>('user', `/api/notifications/unsubscribe${query({ token })}`, {
    method: 'POST',
    anonymous: true,
  })
}
