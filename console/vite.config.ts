import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Two pages from one build: the public page (/) and the staff console (/console).
// Everything, fonts and map styles included, is bundled: no outside origin at runtime (CO5).
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [vue()],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
    rollupOptions: { input: { public: here('index.html'), console: here('console/index.html') } },
  },
  logLevel: 'warn',
});
