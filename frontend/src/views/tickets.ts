// Logic the ticket views share, kept apart from templates for testing.
import { ApiError } from '../api/client'
import type { Page, SubjectEntry } from '../api/types'

/** Field errors of a problem, by field name; other errors under ''. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof ApiError) {
    if (error.errors.length) return Object.fromEntries(error.errors.map((e) => [e.field, e.message]))
    return { '': error.detail }
  }
  return { '': 'Something went wrong. Try again.' }
}

/** The message to show for a failed request. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.detail
  return 'Something went wrong. Try again.'
}

/** The sub-subjects offered for a subject. */
export function subSubjectsOf(catalogue: SubjectEntry[], subject: string): string[] {
  return catalogue.find((s) => s.name === subject)?.sub_subjects ?? []
}

/** Checks the new-ticket form before it is sent; the server checks again. */
export function validateNewTicket(input: { subject: string; description: string }): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!input.subject.trim()) errors.subject = 'Choose a subject.'
  if (!input.description.trim()) errors.description = 'Describe what you need.'
  else if (input.description.length > 20000) errors.description = 'Keep it under 20,000 characters.'
  return errors
}

/** Appends a further page, skipping any ticket already shown. */
export function appendPage<T extends { id: number }>(shown: T[], page: Page<T>): T[] {
  const ids = new Set(shown.map((t) => t.id))
  return [...shown, ...page.items.filter((t) => !ids.has(t.id))]
}
