// The app's sections.
import type { RouteId } from '$app/types';
import type { IconName } from '$lib/ui/icons';

export interface NavItem {
  /** Top-level sections only: no home, no routes with parameters. */
  href: Exclude<RouteId, '/' | `${string}[${string}]${string}`>;
  label: string;
  icon: IconName;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { href: '/chats', label: 'Chats', icon: 'chat' },
  { href: '/friends', label: 'Friends', icon: 'users' },
  { href: '/feed', label: 'Feed', icon: 'feed' },
  { href: '/anonymous', label: 'Anonymous', icon: 'shield' },
  { href: '/node', label: 'Node', icon: 'node' },
  { href: '/settings', label: 'Settings', icon: 'settings' },
];

export function isActive(href: string, pathname: string): boolean {
  return pathname === href || pathname.startsWith(`${href}/`);
}
