// The own contact link once the gateway has published the contact onion (docs/protocol.md §3.3): for
// headless nodes and benchmarks, which start before tor has bootstrapped.
import type { ChatEngineApi } from './api.js';

export async function waitForContactLink(engine: ChatEngineApi, tries = 600, everyMs = 200): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await engine.myContactLink();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, everyMs)); // the contact onion is not published yet
    }
  }
}
