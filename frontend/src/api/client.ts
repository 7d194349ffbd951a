// The one door to the server: JSON in and out, bearer tokens, the company
// header, problem+json errors as ApiError, ETags for cheap polling, and a
// hook that sends a 401 back to the right login page.
import type { FieldProblem } from './types'
import { type Kind, session, tokenFor } from '../session'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string
  readonly errors: FieldProblem[]
  readonly retryAfter: number | null

  constructor(status: number, code: string, detail: string, errors: FieldProblem[] = [], retryAfter: number | null = null) {
    super(detail)
    this.status = status
    this.code = code
    this.detail = detail
    this.errors = errors
    this.retryAfter = retryAfter
  }
}

type UnauthorizedHandler = (kind: Kind) => void
let onUnauthorized: UnauthorizedHandler = () => {}

/** Registers what happens when the server says the token is no good. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler) {
  onUnauthorized = handler
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT'
  body?: unknown
  /** Send the signed-in user's company as X-Company-Id. */
  company?: boolean
  /** An ETag from an earlier answer: a 304 then resolves to `notModified`. */
  etag?: string | null
  /** For login: no token, and a 401 is the caller's to show. */
  anonymous?: boolean
  /** A 401 is the caller's: the session is not sent to the login page. */
  quiet?: boolean
}

export interface Answer<T> {
  notModified: boolean
  data: T | null
  etag: string | null
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {}
  try {
    body = (await response.json()) as Record<string, unknown>
  } catch {
    // Not JSON: fall back to the status line below.
  }
  const retry = response.headers.get('Retry-After')
  return new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : 'error',
    typeof body.detail === 'string' ? body.detail : `The server answered ${response.status}.`,
    Array.isArray(body.errors) ? (body.errors as FieldProblem[]) : [],
    retry ? Number.parseInt(retry, 10) : null,
  )
}

/** One request; resolves with the body (or notModified), rejects with ApiError. */
export async function call<T>(kind: Kind, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (!options.anonymous) {
    const token = tokenFor(kind)
    if (token) headers.Authorization = `Bearer ${token}`
  }
  if (options.company && session.user?.companyId) headers['X-Company-Id'] = String(session.user.companyId)
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  if (options.etag) headers['If-None-Match'] = options.etag
  let response: Response
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.')
  }
  if (response.status === 304) return { notModified: true, data: null, etag: options.etag ?? null }
  if (!response.ok) {
    const problem = await problemOf(response)
    if (problem.status === 401 && !options.anonymous && !options.quiet) onUnauthorized(kind)
    throw problem
  }
  const data = response.status === 204 ? null : ((await response.json()) as T)
  return { notModified: false, data, etag: response.headers.get('ETag') }
}

/** A request whose answer must have a body. */
export async function fetchJson<T>(kind: Kind, path: string, options: RequestOptions = {}): Promise<T> {
  const answer = await call<T>(kind, path, { ...options, etag: null })
  return answer.data as T
}

/** Builds a query string from the set values only. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}
