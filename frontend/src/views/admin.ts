// The agent list's views and filters live in the URL so a view can be shared.
import type { LocationQuery } from 'vue-router'
import type { AdminFilters, AdminRefinements } from '../api/tickets'
import { STATUSES, type Status, type TicketCounts } from '../api/types'
import { inStatuses } from '../composables/counts'

/** The queues an agent works from, each with its count. */
export const VIEWS = [
  { id: 'needs-reply', label: 'Needs reply' },
  { id: 'mine', label: 'Mine' },
  { id: 'unassigned', label: 'Unassigned' },
  { id: 'open', label: 'All open' },
  { id: 'all', label: 'All' },
] as const

export type View = (typeof VIEWS)[number]['id']

export interface FilterState {
  view: View
  status: Status | ''
  subject: string
  company_id: string
  assigned: 'me' | 'unassigned' | 'all'
  q: string
  oldest: boolean
}

const OPEN: Status[] = STATUSES.filter((s) => s !== 'solved' && s !== 'closed')

const one = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '')

/** Reads the filters from the URL, ignoring values that cannot be right. */
export function filtersFromQuery(query: LocationQuery): FilterState {
  const status = one(query.status)
  const assigned = one(query.assigned)
  const company = one(query.company_id)
  const view = one(query.view)
  return {
    view: VIEWS.some((v) => v.id === view) ? (view as View) : 'all',
    status: (STATUSES as string[]).includes(status) ? (status as Status) : '',
    subject: one(query.subject),
    company_id: /^\d+$/.test(company) ? company : '',
    assigned: assigned === 'me' || assigned === 'unassigned' ? assigned : 'all',
    q: one(query.q),
    oldest: one(query.order) === 'oldest',
  }
}

/** Writes the filters back to the URL, leaving defaults out. */
export function filtersToQuery(f: FilterState): Record<string, string> {
  const out: Record<string, string> = {}
  if (f.view !== 'all') out.view = f.view
  if (f.status) out.status = f.status
  if (f.subject) out.subject = f.subject
  if (f.company_id) out.company_id = f.company_id
  if (f.assigned !== 'all') out.assigned = f.assigned
  if (f.q.trim()) out.q = f.q.trim()
  if (f.oldest) out.order = 'oldest'
  return out
}

/** What the counts take: the filters that are not the view. */
export function refinements(f: FilterState): AdminRefinements {
  return { subject: f.subject, company_id: f.company_id || null, q: f.q.trim() }
}

/** The list's filters: the view's and the refinements. */
export function toApiFilters(f: FilterState): AdminFilters {
  const view: Partial<AdminFilters> = {
    'needs-reply': { waiting_on: 'agent' as const },
    mine: { assigned: 'me' as const, open: true },
    unassigned: { assigned: 'unassigned' as const, open: true },
    open: { open: true },
    all: {},
  }[f.view]
  return {
    ...refinements(f),
    status: f.status,
    assigned: f.assigned,
    order: f.oldest ? 'oldest' : 'newest',
    ...view,
  }
}

/** How many tickets a view holds, by the counts. */
export function viewCount(view: View, counts: TicketCounts | null): number | null {
  if (!counts) return null
  switch (view) {
    case 'needs-reply':
      return counts.waiting_on_agent
    case 'mine':
      return counts.mine ?? 0
    case 'unassigned':
      return counts.unassigned ?? 0
    case 'open':
      return inStatuses(counts, OPEN)
    case 'all':
      return inStatuses(counts, STATUSES)
  }
}
