import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// Builds into ../assets, which the Rust binary embeds. Hashed files go to
// static/ so the server can cache them forever.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: '../assets',
    emptyOutDir: true,
    assetsDir: 'static',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:5000',
      '/platform-admin': 'http://127.0.0.1:5000',
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
