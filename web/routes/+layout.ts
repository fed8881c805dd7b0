// The gateway serves a static SPA: everything renders in the browser, nothing is prerendered.
export const ssr = false;
export const prerender = false;
