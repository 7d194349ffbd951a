import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { pageTitle } from './composables/title'
import { endedAtStart, isFullAdmin, session } from './session'

// Views load lazily so the first page stays small.
const LoginView = () => import('./views/LoginView.vue')
const ManagerTicketsView = () => import('./views/ManagerTicketsView.vue')
const AdminTicketsView = () => import('./views/AdminTicketsView.vue')
const AdminTicketView = () => import('./views/AdminTicketView.vue')
const AdminTeamView = () => import('./views/AdminTeamView.vue')
const AdminCompaniesView = () => import('./views/AdminCompaniesView.vue')
const AdminCompanyView = () => import('./views/AdminCompanyView.vue')
const AccountView = () => import('./views/AccountView.vue')
const InviteView = () => import('./views/InviteView.vue')
const UnsubscribeView = () => import('./views/UnsubscribeView.vue')
const NotFoundView = () => import('./views/NotFoundView.vue')

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: () => (session.admin && !session.user ? '/admin/tickets' : '/manager/tickets') },
    { path: '/login', name: 'login', component: LoginView, props: { kind: 'user' }, meta: { title: 'Sign in' } },
    { path: '/admin/login', name: 'admin-login', component: LoginView, props: { kind: 'admin' }, meta: { title: 'Agent sign in' } },
    { path: '/manager/tickets', name: 'manager-tickets', component: ManagerTicketsView, meta: { kind: 'user', title: 'Tickets' } },
    { path: '/manager/tickets/:id(\\d+)', name: 'manager-ticket', component: ManagerTicketsView, meta: { kind: 'user', title: 'Tickets' } },
    { path: '/admin', redirect: '/admin/tickets' },
    { path: '/admin/tickets', name: 'admin-tickets', component: AdminTicketsView, meta: { kind: 'admin', title: 'Tickets' } },
    { path: '/admin/tickets/:id(\\d+)', name: 'admin-ticket', component: AdminTicketView, meta: { kind: 'admin', title: 'Ticket' } },
    { path: '/admin/team', name: 'admin-team', component: AdminTeamView, meta: { kind: 'admin', full: true, title: 'Team' } },
    { path: '/admin/companies', name: 'admin-companies', component: AdminCompaniesView, meta: { kind: 'admin', full: true, title: 'Companies' } },
    { path: '/admin/companies/:id(\\d+)', name: 'admin-company', component: AdminCompanyView, meta: { kind: 'admin', full: true, title: 'Company' } },
    { path: '/admin/account', name: 'admin-account', component: AccountView, props: { kind: 'admin' }, meta: { kind: 'admin', title: 'Your account' } },
    { path: '/manager/account', name: 'manager-account', component: AccountView, props: { kind: 'user' }, meta: { kind: 'user', title: 'Your account' } },
    { path: '/invite/:token', name: 'invite', component: InviteView, meta: { title: 'Choose your password' } },
    { path: '/unsubscribe', name: 'unsubscribe', component: UnsubscribeView, meta: { title: 'Email notifications' } },
    { path: '/:rest(.*)*', name: 'not-found', component: NotFoundView, meta: { title: 'Not found' } },
  ],
})

/** Where a route sends someone who is not signed in for it (or null). */
export function guard(to: RouteLocationNormalized): { name: string; query?: Record<string, string> } | null {
  const kind = to.meta.kind as 'user' | 'admin' | undefined
  if (kind && !session[kind]) {
    const query: Record<string, string> = { redirect: to.fullPath }
    // A session that ran out while the tab was closed: the page says so once.
    if (endedAtStart[kind]) {
      endedAtStart[kind] = false
      query.ended = '1'
    }
    return { name: kind === 'admin' ? 'admin-login' : 'login', query }
  }
  if (to.meta.full && !isFullAdmin()) return { name: 'admin-tickets' }
  return null
}

router.beforeEach((to) => guard(to) ?? true)

router.afterEach((to) => {
  pageTitle.value = (to.meta.title as string) ?? 'Ticketing'
})
