import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { setUnauthorizedHandler } from './api/client'
import { signOut } from './session'
import './style.css'

// A 401 means the token is gone: sign out of that kind and go to its login
// page, which says why, coming back here afterwards (drafts stay kept).
setUnauthorizedHandler((kind) => {
  signOut(kind)
  const current = router.currentRoute.value
  const login = kind === 'admin' ? 'admin-login' : 'login'
  if (current.name !== login) void router.push({ name: login, query: { redirect: current.fullPath, ended: '1' } })
})

createApp(App).use(router).mount('#app')
