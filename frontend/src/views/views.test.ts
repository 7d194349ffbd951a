import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import type { Ticket, TicketDetail } from '../api/types'
import { describeChanges } from '../composables/announce'
import { nextDelay } from '../composables/polling'
import { filtersFromQuery, filtersToQuery, toApiFilters, viewCount } from './admin'
import { afterLogin, loginErrorMessage } from './login'
import { appendPage, fieldErrors, subSubjectsOf, validateNewTicket } from './tickets'

const ticket = (id: number, extra: Partial<Ticket> = {}): Ticket => ({
  id, company_id: 1, company_name: 'Acme', created_by_user_id: 1, created_by_name: 'Ada', type: 'support',
  subject: 'website', sub_subject: null, status: 'new', assigned_admin_id: null, assigned_admin_name: null,
  last_activity_at: '2026-01-01T00:00:00Z', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
  closed_at: null, preview: null, last_message_at: null, last_message_sender_type: null, waiting_on: 'agent', unread: false,
  ...extra,
})

describe('the login page', () => {
  it('says a wrong password without naming the field, and when to retry', () => {
    expect(loginErrorMessage(new ApiError(401, 'unauthorized', 'the email or the password is wrong'))).toBe('Wrong email or password.')
    expect(loginErrorMessage(new ApiError(429, 'rate_limited', 'slow down', [], 42))).toBe('Too many attempts. Try again in 42 seconds.')
    expect(loginErrorMessage(new ApiError(429, 'rate_limited', 'slow down', [], 1))).toBe('Too many attempts. Try again in 1 second.')
  })

  it('returns to the page that sent the person, only within their area', () => {
    expect(afterLogin('user', '/manager/tickets/4')).toBe('/manager/tickets/4')
    expect(afterLogin('user', '/admin/tickets')).toBe('/manager/tickets')
    expect(afterLogin('admin', '/admin/tickets/9?x=1')).toBe('/admin/tickets/9?x=1')
    expect(afterLogin('admin', '//evil.example/admin/')).toBe('/admin/tickets')
    expect(afterLogin('admin', 'https://evil.example')).toBe('/admin/tickets')
    expect(afterLogin('user', undefined)).toBe('/manager/tickets')
  })
})

describe('the manager view', () => {
  it('checks the new-ticket form before sending it', () => {
    expect(validateNewTicket({ subject: '', description: ' ' })).toEqual({ subject: 'Choose a subject.', description: 'Describe what you need.' })
    expect(validateNewTicket({ subject: 'website', description: 'Broken' })).toEqual({})
  })

  it('offers the sub-subjects of the chosen subject', () => {
    const catalogue = [{ name: 'website', label: 'Website', sub_subjects: ['contact', 'forms'] }]
    expect(subSubjectsOf(catalogue, 'website')).toEqual(['contact', 'forms'])
    expect(subSubjectsOf(catalogue, 'billing')).toEqual([])
  })

  it('maps field problems to their fields', () => {
    const error = new ApiError(422, 'validation_failed', 'x', [{ field: 'subject', code: 'unknown_subject', message: 'must be one of …' }])
    expect(fieldErrors(error)).toEqual({ subject: 'must be one of …' })
    expect(fieldErrors(new ApiError(409, 'ticket_closed', 'closed'))).toEqual({ '': 'closed' })
  })

  it('appends older pages without repeating a ticket', () => {
    const shown = [ticket(3), ticket(2)]
    expect(appendPage(shown, { items: [ticket(2), ticket(1)], next_cursor: null }).map((t) => t.id)).toEqual([3, 2, 1])
  })
})

describe('the agent list', () => {
  it('reads filters from the URL and writes back only what is set', () => {
    const f = filtersFromQuery({ status: 'solved', subject: 'website', company_id: '2', assigned: 'me', q: 'printer', view: 'mine', order: 'oldest' })
    expect(f).toEqual({ view: 'mine', status: 'solved', subject: 'website', company_id: '2', assigned: 'me', q: 'printer', oldest: true })
    expect(filtersToQuery(f)).toEqual({ view: 'mine', status: 'solved', subject: 'website', company_id: '2', assigned: 'me', q: 'printer', order: 'oldest' })
    const junk = filtersFromQuery({ status: 'open', company_id: 'abc', assigned: 'bob', view: 'everything' })
    expect(junk).toEqual({ view: 'all', status: '', subject: '', company_id: '', assigned: 'all', q: '', oldest: false })
    expect(filtersToQuery(junk)).toEqual({})
    expect(toApiFilters(junk).company_id).toBeNull()
  })

  it('turns each view into the list filters its count counts', () => {
    const base = filtersFromQuery({})
    expect(toApiFilters({ ...base, view: 'needs-reply' }).waiting_on).toBe('agent')
    expect(toApiFilters({ ...base, view: 'mine' })).toMatchObject({ assigned: 'me', open: true })
    expect(toApiFilters({ ...base, view: 'unassigned' })).toMatchObject({ assigned: 'unassigned', open: true })
    expect(toApiFilters({ ...base, view: 'open' }).open).toBe(true)
    const counts = { by_status: { new: 2, solved: 3, closed: 1 }, unread: 1, waiting_on_agent: 2, mine: 1, unassigned: 4 }
    expect(viewCount('open', counts)).toBe(2)
    expect(viewCount('all', counts)).toBe(6)
    expect(viewCount('needs-reply', counts)).toBe(2)
  })
})

describe('polling', () => {
  it('polls at the configured pace while visible and slower when hidden', () => {
    expect(nextDelay(5, false)).toBe(5000)
    expect(nextDelay(5, true)).toBe(30000)
    expect(nextDelay(30, true)).toBe(60000)
    expect(nextDelay(0, false)).toBe(1000)
  })

  it('announces new messages, status and assignment changes', () => {
    const before: TicketDetail = { ticket: ticket(1), messages: [] }
    const after: TicketDetail = {
      ticket: ticket(1, { status: 'in_progress', assigned_admin_id: 4, assigned_admin_name: 'Sam' }),
      messages: [
        { id: 10, ticket_id: 1, sender_type: 'agent', sender_user_id: null, sender_admin_id: 4, sender_name: 'Sam', body: 'Hi', created_at: '' },
        { id: 11, ticket_id: 1, sender_type: 'system', sender_user_id: null, sender_admin_id: 4, sender_name: 'Sam', body: 'x', created_at: '' },
      ],
    }
    expect(describeChanges(before, after)).toBe('New message from Sam. Status is now In progress. Assigned to Sam.')
    expect(describeChanges(after, after)).toBe('')
    expect(describeChanges(null, after)).toBe('')
  })
})
