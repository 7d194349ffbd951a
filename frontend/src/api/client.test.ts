import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, call, query, setUnauthorizedHandler } from './client'
import { setAdminSession, setUserSession } from '../session'

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  const init = { status, headers: { 'Content-Type': 'application/json', ...headers } }
  return vi.fn(async () => new Response(status === 304 ? null : JSON.stringify(body), init))
}

describe('the API client', () => {
  beforeEach(() => {
    setUserSession({
      token: 'user-token',
      expiresAt: '2999-01-01T00:00:00Z',
      user: { id: 1, email: 'a@x', name: 'A', active: true, created_at: '2026-01-01T00:00:00Z' },
      companies: [{ id: 7, name: 'Acme', role: 'manager', active: true }],
      companyId: 7,
      pollSecs: 5,
    })
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    setUserSession(null)
    setAdminSession(null)
    setUnauthorizedHandler(() => {})
  })

  it('sends the bearer token, the company and the ETag', async () => {
    const fetchMock = respond(200, { items: [], next_cursor: null }, { ETag: '"abc"' })
    vi.stubGlobal('fetch', fetchMock)
    const answer = await call('user', '/api/support/tickets', { company: true, etag: '"old"' })
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    const headers = init.headers as Record<string, string>
    expect(headers.Authorization).toBe('Bearer user-token')
    expect(headers['X-Company-Id']).toBe('7')
    expect(headers['If-None-Match']).toBe('"old"')
    expect(answer).toEqual({ notModified: false, data: { items: [], next_cursor: null }, etag: '"abc"' })
  })

  it('turns a 304 into notModified and keeps the old ETag', async () => {
    vi.stubGlobal('fetch', respond(304, null))
    const answer = await call('user', '/api/support/tickets/1', { etag: '"v1"' })
    expect(answer).toEqual({ notModified: true, data: null, etag: '"v1"' })
  })

  it('reads a problem+json into an ApiError with its code, detail, fields and Retry-After', async () => {
    const problem = {
      type: 'about:blank', title: 'Unprocessable Entity', status: 422, code: 'validation_failed',
      detail: 'subject: must not be empty', errors: [{ field: 'subject', code: 'required', message: 'must not be empty' }],
    }
    vi.stubGlobal('fetch', respond(422, problem, { 'Content-Type': 'application/problem+json', 'Retry-After': '9' }))
    const error = await call('user', '/api/support/tickets', { method: 'POST', body: {} }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.status).toBe(422)
    expect(error.code).toBe('validation_failed')
    expect(error.detail).toBe('subject: must not be empty')
    expect(error.errors[0].field).toBe('subject')
    expect(error.retryAfter).toBe(9)
  })

  it('calls the 401 handler with the kind of account, except for sign-in itself', async () => {
    const handler = vi.fn()
    setUnauthorizedHandler(handler)
    vi.stubGlobal('fetch', respond(401, { status: 401, code: 'unauthorized', detail: 'sign in' }))
    await expect(call('admin', '/platform-admin/tickets')).rejects.toBeInstanceOf(ApiError)
    expect(handler).toHaveBeenCalledWith('admin')
    handler.mockClear()
    await expect(call('user', '/api/auth/login', { method: 'POST', body: {}, anonymous: true })).rejects.toMatchObject({ status: 401 })
    expect(handler).not.toHaveBeenCalled()
  })

  it('says the server cannot be reached when the network fails', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('offline') }))
    await expect(call('user', '/api/me')).rejects.toMatchObject({ status: 0, code: 'network' })
  })

  it('builds query strings from set values only', () => {
    expect(query({ status: 'new', q: '', cursor: null, company_id: 3 })).toBe('?status=new&company_id=3')
    expect(query({})).toBe('')
  })
})
