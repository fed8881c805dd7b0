// The engine host is created once by the root layout and read by features through context.
import { createContext } from 'svelte';
import type { EngineHost } from './engine-host.svelte';

export const [getEngineHost, setEngineHost] = createContext<EngineHost>();
