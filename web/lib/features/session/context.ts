// The session is created once by the root layout and read by routes and features through context.
import { createContext } from 'svelte';
import type { Session } from './session.svelte';

export const [getSession, setSession] = createContext<Session>();
