// Tickets, for managers (/api/support) and agents (/platform-admin).
import { call, fetchJson, query, type Answer } from './client'
import type { Message, Page, Status, SubjectEntry, Ticket, TicketCounts, TicketDetail } from './types'

export interface ManagerFilters {
  status?: Status | ''
  q?: string
  cursor?: string | null
}

export function listManagerTickets(filters: ManagerFilters, etag: string | null = null): Promise<Answer<Page<Ticket>>> {
  const qs = query({ status: filters.status, q: filters.q, cursor: filters.cursor })
  return call('user', `/api/support/tickets${qs}`, { company: true, etag })
}

export function managerCounts(filters: { q?: string }, etag: string | null = null): Promise<Answer<TicketCounts>> {
  return call('user', `/api/support/tickets/counts${query({ q: filters.q })}`, { company: true, etag })
}

export function getManagerTicket(id: number, etag: string | null = null): Promise<Answer<TicketDetail>> {
  return call('user', `/api/support/tickets/${id}`, { company: true, etag })
}

export function createTicket(input: { subject: string; sub_subject: string | null; description: string }): Promise<TicketDetail> {
  return fetchJson('user', '/api/support/tickets', { method: 'POST', body: input, company: true })
}

export function replyAsManager(id: number, body: string): Promise<Message> {
  return fetchJson('user', `/api/support/tickets/${id}/messages`, { method: 'POST', body: { body }, company: true })
}

export async function markManagerRead(id: number, messageId: number): Promise<void> {
  await call('user', `/api/support/tickets/${id}/read`, { method: 'PUT', body: { message_id: messageId }, company: true })
}

export async function managerSubjects(): Promise<SubjectEntry[]> {
  return (await fetchJson<{ items: SubjectEntry[] }>('user', '/api/support/subjects')).items
}

/** The filters the agents' counts take (the list's, but not its view). */
export interface AdminRefinements {
  subject?: string
  company_id?: number | string | null
  q?: string
}

export interface AdminFilters extends AdminRefinements {
  status?: Status | ''
  assigned?: 'me' | 'unassigned' | 'all' | ''
  waiting_on?: 'agent' | 'tenant' | ''
  open?: boolean
  order?: 'newest' | 'oldest'
  cursor?: string | null
}

export function listAdminTickets(filters: AdminFilters, etag: string | null = null): Promise<Answer<Page<Ticket>>> {
  const qs = query({
    status: filters.status,
    subject: filters.subject,
    company_id: filters.company_id,
    assigned: filters.assigned === 'all' ? '' : filters.assigned,
    waiting_on: filters.waiting_on,
    open: filters.open ? 'true' : '',
    order: filters.order === 'oldest' ? 'oldest' : '',
    q: filters.q,
    cursor: filters.cursor,
  })
  return call('admin', `/platform-admin/tickets${qs}`, { etag })
}

export function adminCounts(filters: AdminRefinements, etag: string | null = null): Promise<Answer<TicketCounts>> {
  const qs = query({ subject: filters.subject, company_id: filters.company_id, q: filters.q })
  return call('admin', `/platform-admin/tickets/counts${qs}`, { etag })
}

export function getAdminTicket(id: number, etag: string | null = null): Promise<Answer<TicketDetail>> {
  return call('admin', `/platform-admin/tickets/${id}`, { etag })
}

/** An agent's reply or internal note, optionally setting the status in the same step. */
export function replyAsAgent(
  id: number,
  body: string,
  options: { internal?: boolean; status?: Status | null } = {},
): Promise<Message> {
  const payload: { body: string; internal?: boolean; status?: Status } = { body }
  if (options.internal) payload.internal = true
  if (options.status) payload.status = options.status
  return fetchJson('admin', `/platform-admin/tickets/${id}/messages`, { method: 'POST', body: payload })
}

export async function markAdminRead(id: number, messageId: number): Promise<void> {
  await call('admin', `/platform-admin/tickets/${id}/read`, { method: 'PUT', body: { message_id: messageId } })
}

export function setStatus(id: number, status: Status): Promise<TicketDetail> {
  return fetchJson('admin', `/platform-admin/tickets/${id}/status`, { method: 'PATCH', body: { status } })
}

export function assign(id: number, adminId: number | null): Promise<TicketDetail> {
  return fetchJson('admin', `/platform-admin/tickets/${id}/assign`, { method: 'PATCH', body: { admin_id: adminId } })
}
