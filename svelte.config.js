// SvelteKit 2, sources in web/ (kit.files), built as a static SPA that the gateway serves.
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

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
    // whose hash the gateway puts into its CSP header (gateway/http/csp.ts).
    output: { bundleStrategy: 'split' },
    version: { name: process.env.CHATTOR_BUILD_VERSION ?? 'dev' },
  },
};

export default config;
