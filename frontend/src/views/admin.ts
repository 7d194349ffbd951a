// The agent list's filters live in the URL so a view can be shared.
import type { LocationQuery } from 'vue-router'
import type { AdminFilters } from '../api/tickets'
import { STATUSES, type Status } from '../api/types'

export interface FilterState {
  status: Status | ''
  subject: string
  company_id: string
  assigned: 'me' | 'unassigned' | 'all'
  q: string
}

const one = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '')

/** Reads the filters from the URL, ignoring values that cannot be right. */
export function filtersFromQuery(query: LocationQuery): FilterState {
  const status = one(query.status)
  const assigned = one(query.assigned)
  const company = one(query.company_id)
  return {
    status: (STATUSES as string[]).includes(status) ? (status as Status) : '',
    subject: one(query.subject),
    company_id: /^\d+$/.test(company) ? company : '',
    assigned: assigned === 'me' || assigned === 'unassigned' ? assigned : 'all',
    q: one(query.q),
  }
}

/** Writes the filters back to the URL, leaving defaults out. */
export function filtersToQuery(f: FilterState): Record<string, string> {
  const out: Record<string, string> = {}
  if (f.status) out.status = f.status
  if (f.subject) out.subject = f.subject
  if (f.company_id) out.company_id = f.company_id
  if (f.assigned !== 'all') out.assigned = f.assigned
  if (f.q.trim()) out.q = f.q.trim()
  return out
}

export function toApiFilters(f: FilterState): AdminFilters {
  return { status: f.status, subject: f.subject, company_id: f.company_id || null, assigned: f.assigned, q: f.q.trim() }
}
