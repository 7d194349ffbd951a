// The login page's decisions, kept apart from the template for testing.
import { ApiError } from '../api/client'

/** What to tell the person after a failed sign-in. */
export function loginErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Wrong email or password.'
    if (error.status === 429) {
      const secs = error.retryAfter ?? 60
      return `Too many attempts. Try again in ${secs} second${secs === 1 ? '' : 's'}.`
    }
    return error.detail
  }
  return 'Something went wrong. Try again.'
}

/** Where to go after signing in: back where the person was, if it is theirs. */
export function afterLogin(kind: 'user' | 'admin', redirect: unknown): string {
  const home = kind === 'admin' ? '/admin/tickets' : '/manager/tickets'
  if (typeof redirect !== 'string' || !redirect.startsWith('/') || redirect.startsWith('//')) return home
  const mine = kind === 'admin' ? redirect.startsWith('/admin/') : redirect.startsWith('/manager/')
  return mine && !redirect.startsWith('/admin/login') ? redirect : home
}

/** What the sign-in page says to someone whose session ended. */
export function sessionEndedMessage(draftKept: boolean): string {
  return draftKept ? 'Your session ended; sign in to continue. Your draft is kept.' : 'Your session ended; sign in to continue.'
}

/** What the sign-in page says after signing out on purpose (`?out=`). */
export function signedOutMessage(out: unknown): string | null {
  if (out === 'everywhere') return 'You are signed out on every device.'
  if (out === 'password') return 'Your password is changed. Sign in with the new one.'
  if (out === '1') return 'You are signed out.'
  return null
}

/** What a new password must be, checked before it is sent (the server checks again, and more). */
export function newPasswordProblem(password: string, confirm: string, email: string): string | null {
  const length = [...password].length
  if (length < 12) return 'Use at least 12 characters; a few unrelated words work well.'
  if (length > 1024) return 'Use at most 1,024 characters.'
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return 'Your password must not be your email address.'
  if (password !== confirm) return 'The two passwords differ.'
  return null
}
