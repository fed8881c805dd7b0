// SvelteKit 2, sources in web/ (kit.files), built as a static SPA that the gateway serves.
import { fileURLToPath } from 'node:url';
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { buildVersion } from './scripts/build-version.mjs';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    files: {
      src: 'web',
      lib: 'web/lib',
      routes: 'web/routes',
      appTemplate: 'web/app.html',
      errorTemplate: 'web/error.html',
      assets: 'static',
      serviceWorker: 'web/service-worker',
      hooks: { client: 'web/hooks.client', server: 'web/hooks.server', universal: 'web/hooks' },
      params: 'web/params',
    },
    // The gateway serves the app from one fixed origin; no inline scripts beyond Kit's bootstrap,
    // whose hash the gateway puts into its CSP header (gateway/http/static.ts).
    output: { bundleStrategy: 'split' },
    // The service worker is registered by the app (web/lib/features/pwa/updates.ts), which also asks
    // before switching to a new version; Tor Browser has none, and the app works without one.
    serviceWorker: { register: false },
    // Derived from the sources, so a rebuild of the same code is the same version (and cache), and
    // any change is a new one (scripts/build-version.mjs).
    version: { name: buildVersion(fileURLToPath(new URL('.', import.meta.url))) },
  },
};

export default config;
