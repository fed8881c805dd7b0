// The one place the concrete engine is chosen. Everything else codes against ChatEngineApi.
//
// Until shared/protocol/engine.ts lands the glob below matches nothing and the app says chat is not
// available; once it exists, it is bundled and used without an edit here. To pin it explicitly, replace
// the glob with `import { ChatEngine } from '../../../../shared/protocol/engine';` and return
// `new ChatEngine(options)`.
import type { ChatEngineApi, EngineOptions } from '../../../../shared/protocol/api';

type EngineModule = { ChatEngine: new (options: EngineOptions) => ChatEngineApi };
const modules = import.meta.glob<EngineModule>('../../../../shared/protocol/engine.ts', { eager: true });

export type EngineFactory = (options: EngineOptions) => ChatEngineApi | null;

/** A new engine, or null when this build has none. */
export const createEngine: EngineFactory = (options) => {
  const mod = Object.values(modules)[0];
  return mod ? new mod.ChatEngine(options) : null;
};
